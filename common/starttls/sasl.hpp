#pragma once
// The one rule for SASL before TLS, shared by every protocol that advertises SASL mechanisms
// (SMTP, LMTP and submission AUTH, IMAP AUTH=, POP3 and NNTP SASL, ManageSieve "SASL", XMPP
// <mechanisms>, IRCv3 sasl=): a mechanism that sends the password itself lets it travel in
// plaintext when it is used before STARTTLS. Those are PLAIN (RFC 4616) and LOGIN
// (draft-murchison-sasl-login). Challenge-response and token mechanisms (SCRAM-*, CRAM-MD5,
// DIGEST-MD5, GSSAPI, EXTERNAL, ANONYMOUS, ...) do not send it.

#include <string>
#include <string_view>
#include <vector>

namespace tls_checks::starttls::sasl {

// Does `mechanism` (any case) send the password?
[[nodiscard]] bool sends_password(std::string_view mechanism) noexcept;

// The mechanisms of `mechanisms` that send the password, in the order advertised, as spelled.
[[nodiscard]] std::vector<std::string> password_mechanisms(const std::vector<std::string>& mechanisms);

// True when one of `mechanisms` sends the password.
[[nodiscard]] bool offers_password_mechanism(const std::vector<std::string>& mechanisms);

}  // namespace tls_checks::starttls::sasl
