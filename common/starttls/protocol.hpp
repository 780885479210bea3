#pragma once
// The STARTTLS protocols this project speaks, their names and default ports.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace tls_checks::starttls {

enum class Protocol { smtp, submission, lmtp, pop3, imap, ftp, ldap, xmpp, xmpp_server, nntp, sieve, postgres, mysql, irc };

struct ProtocolInfo {
    Protocol protocol;
    std::string_view name;          // as --starttls takes it: "smtp", "xmpp-server"
    std::uint16_t default_port;     // what --starttls auto maps to this protocol
    std::string_view openssl_name;  // `openssl s_client -starttls` spelling, for tests and messages
};

std::span<const ProtocolInfo> all_protocols() noexcept;
const ProtocolInfo& info(Protocol protocol) noexcept;
std::optional<Protocol> parse_protocol(std::string_view name) noexcept;
// The protocol whose default port this is (25 and 587 both smtp-style; 587 is submission).
std::optional<Protocol> protocol_for_port(std::uint16_t port) noexcept;

}  // namespace tls_checks::starttls
