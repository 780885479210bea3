// The one SASL rule (starttls/sasl.hpp): PLAIN and LOGIN send the password, the others do not;
// and every protocol that advertises SASL mechanisms before TLS applies it, next to its own
// non-SASL plaintext logins (IMAP LOGIN, POP3 USER, NNTP AUTHINFO USER).

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "memory_stream.hpp"
#include "starttls/dialog.hpp"
#include "starttls/sasl.hpp"

using namespace tls_checks;
using namespace std::chrono_literals;
using starttls::Protocol;
namespace sasl = starttls::sasl;

namespace {

// The error's message, for a failed check (Boost streams the message even when the check passes).
std::string why(const Expected<starttls::DialogResult, starttls::DialogError>& result) {
    return result.has_value() ? std::string() : result.error().message;
}

starttls::DialogResult upgraded(Protocol protocol, std::vector<std::string> server) {
    test::MemoryStream stream(std::move(server));
    net::LineReader reader(stream);
    starttls::DialogOptions options;
    options.xmpp_domain = "example.test";
    auto result = starttls::upgrade(protocol, reader, options, net::Deadline::after(2s));
    BOOST_TEST_REQUIRE(result.has_value(), why(result));
    return std::move(result).value();
}

starttls::DialogResult smtp_with(const std::string& extension) {
    return upgraded(Protocol::smtp, {"220 mx\r\n", "250-mx\r\n250-" + extension + "\r\n250 STARTTLS\r\n", "220 go\r\n"});
}

starttls::DialogResult imap_with(const std::string& capabilities) {
    return upgraded(Protocol::imap, {"* OK ready\r\n", "* CAPABILITY IMAP4rev1 STARTTLS " + capabilities + "\r\na2 OK\r\n",
                                     "a3 OK go\r\n"});
}

starttls::DialogResult irc_with(const std::string& caps) {
    return upgraded(Protocol::irc, {":irc CAP * LS :tls " + caps + "\r\n", ":irc 670 * :go ahead\r\n"});
}

starttls::DialogResult xmpp_with(const std::string& mechanisms) {
    return upgraded(Protocol::xmpp,
                    {"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>",
                     "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
                     "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" + mechanisms + "</mechanisms></stream:features>",
                     "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"});
}

}  // namespace

BOOST_AUTO_TEST_CASE(plain_and_login_send_the_password_in_any_case) {
    BOOST_TEST(sasl::sends_password("PLAIN"));
    BOOST_TEST(sasl::sends_password("LOGIN"));
    BOOST_TEST(sasl::sends_password("plain"));
    BOOST_TEST(sasl::sends_password("Login"));
}

BOOST_AUTO_TEST_CASE(challenge_response_and_token_mechanisms_do_not_send_the_password) {
    for (const char* mechanism : {"GSSAPI", "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS", "CRAM-MD5", "DIGEST-MD5",
                                  "EXTERNAL", "ANONYMOUS", "NTLM", "PLAINX", "XPLAIN", "LOG", ""}) {
        BOOST_TEST(!sasl::sends_password(mechanism), mechanism);
    }
}

BOOST_AUTO_TEST_CASE(password_mechanisms_keep_the_advertised_order_and_spelling) {
    const std::vector<std::string> offered{"SCRAM-SHA-256", "login", "GSSAPI", "PLAIN"};
    BOOST_TEST((sasl::password_mechanisms(offered) == std::vector<std::string>{"login", "PLAIN"}));
    BOOST_TEST(sasl::offers_password_mechanism(offered));
    BOOST_TEST(!sasl::offers_password_mechanism({"GSSAPI", "SCRAM-SHA-256"}));
    BOOST_TEST(!sasl::offers_password_mechanism({}));
}

BOOST_AUTO_TEST_CASE(smtp_auth_gssapi_or_scram_alone_is_not_plaintext_login) {
    BOOST_TEST(!smtp_with("AUTH GSSAPI").plaintext_login.has_value());
    BOOST_TEST(!smtp_with("AUTH SCRAM-SHA-256").plaintext_login.has_value());
    BOOST_TEST(!smtp_with("AUTH GSSAPI SCRAM-SHA-256 CRAM-MD5").plaintext_login.has_value());
    BOOST_TEST(smtp_with("AUTH GSSAPI").plaintext_login_visible);
}

BOOST_AUTO_TEST_CASE(smtp_auth_with_plain_or_login_is_plaintext_login_also_in_the_old_spelling) {
    BOOST_TEST(smtp_with("AUTH SCRAM-SHA-256 PLAIN").plaintext_login.value_or("") ==
               "AUTH SCRAM-SHA-256 PLAIN advertised before STARTTLS");
    BOOST_TEST(smtp_with("AUTH=LOGIN").plaintext_login.value_or("") == "AUTH=LOGIN advertised before STARTTLS");
    BOOST_TEST(smtp_with("AUTH=GSSAPI LOGIN").plaintext_login.has_value());
    BOOST_TEST(!smtp_with("AUTH=GSSAPI").plaintext_login.has_value());
}

BOOST_AUTO_TEST_CASE(lmtp_and_submission_use_the_same_rule) {
    const auto lmtp = upgraded(Protocol::lmtp, {"220 lmtp\r\n", "250-lmtp\r\n250-AUTH GSSAPI\r\n250 STARTTLS\r\n", "220 go\r\n"});
    BOOST_TEST(!lmtp.plaintext_login.has_value());
    const auto submission =
        upgraded(Protocol::submission, {"220 mx\r\n", "250-mx\r\n250-AUTH PLAIN LOGIN\r\n250 STARTTLS\r\n", "220 go\r\n"});
    BOOST_TEST(submission.plaintext_login.value_or("") == "AUTH PLAIN LOGIN advertised before STARTTLS");
}

BOOST_AUTO_TEST_CASE(imap_logindisabled_with_auth_plain_is_still_plaintext_login) {
    // RFC 3501 6.2.3: LOGINDISABLED disables the LOGIN command only; AUTHENTICATE PLAIN works.
    const auto result = imap_with("LOGINDISABLED AUTH=PLAIN AUTH=SCRAM-SHA-256");
    BOOST_TEST(result.plaintext_login.value_or("") ==
               "AUTH=PLAIN advertised before STARTTLS (LOGINDISABLED disables only the LOGIN command)");
    BOOST_TEST(imap_with("LOGINDISABLED AUTH=login").plaintext_login.has_value());
}

BOOST_AUTO_TEST_CASE(imap_logindisabled_with_only_safe_mechanisms_is_not_plaintext_login) {
    BOOST_TEST(!imap_with("LOGINDISABLED").plaintext_login.has_value());
    BOOST_TEST(!imap_with("LOGINDISABLED AUTH=GSSAPI AUTH=SCRAM-SHA-256").plaintext_login.has_value());
}

BOOST_AUTO_TEST_CASE(imap_without_logindisabled_names_the_login_command) {
    BOOST_TEST(imap_with("AUTH=GSSAPI").plaintext_login.value_or("") == "LOGIN allowed before STARTTLS (no LOGINDISABLED)");
}

BOOST_AUTO_TEST_CASE(pop3_sasl_plain_is_plaintext_login_and_sasl_gssapi_is_not) {
    const auto plain = upgraded(Protocol::pop3, {"+OK\r\n", "+OK\r\nSTLS\r\nSASL GSSAPI PLAIN\r\n.\r\n", "+OK\r\n"});
    BOOST_TEST(plain.plaintext_login.value_or("") == "SASL GSSAPI PLAIN advertised before STLS");
    const auto safe = upgraded(Protocol::pop3, {"+OK\r\n", "+OK\r\nSTLS\r\nSASL GSSAPI SCRAM-SHA-1\r\n.\r\n", "+OK\r\n"});
    BOOST_TEST(!safe.plaintext_login.has_value());
}

BOOST_AUTO_TEST_CASE(sieve_sasl_capability_uses_the_rule) {
    const auto plain = upgraded(Protocol::sieve, {"\"SASL\" \"PLAIN LOGIN\"\r\n\"STARTTLS\"\r\nOK\r\n", "OK\r\n"});
    BOOST_TEST(plain.plaintext_login.value_or("") == "SASL PLAIN LOGIN advertised before STARTTLS");
    const auto empty = upgraded(Protocol::sieve, {"\"SASL\" \"\"\r\n\"STARTTLS\"\r\nOK\r\n", "OK\r\n"});
    BOOST_TEST(!empty.plaintext_login.has_value());
}

BOOST_AUTO_TEST_CASE(nntp_sasl_line_uses_the_rule_and_authinfo_user_stays_its_own_fact) {
    const auto sasl_plain = upgraded(Protocol::nntp, {"200 news\r\n", "101 caps\r\nVERSION 2\r\nSTARTTLS\r\nAUTHINFO SASL\r\nSASL PLAIN\r\n.\r\n",
                                                      "382 go\r\n"});
    BOOST_TEST(sasl_plain.plaintext_login.value_or("") == "SASL PLAIN advertised before STARTTLS");
    const auto safe = upgraded(Protocol::nntp, {"200 news\r\n", "101 caps\r\nSTARTTLS\r\nAUTHINFO SASL\r\nSASL GSSAPI\r\n.\r\n",
                                                "382 go\r\n"});
    BOOST_TEST(!safe.plaintext_login.has_value());
}

BOOST_AUTO_TEST_CASE(xmpp_mechanisms_use_the_rule) {
    BOOST_TEST(xmpp_with("<mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism>").plaintext_login.value_or("") ==
               "SASL PLAIN offered before STARTTLS");
    BOOST_TEST(!xmpp_with("<mechanism>SCRAM-SHA-1</mechanism><mechanism>EXTERNAL</mechanism>").plaintext_login.has_value());
}

BOOST_AUTO_TEST_CASE(irc_sasl_cap_value_shows_plaintext_login_only_when_it_lists_plain) {
    const auto plain = irc_with("sasl=PLAIN,EXTERNAL");
    BOOST_TEST(plain.plaintext_login_visible);
    BOOST_TEST(plain.plaintext_login.value_or("") == "sasl=PLAIN,EXTERNAL advertised before STARTTLS");
    // Without a plaintext mechanism a server password or NickServ may still take one: not visible.
    BOOST_TEST(!irc_with("sasl=EXTERNAL").plaintext_login_visible);
    BOOST_TEST(!irc_with("sasl").plaintext_login_visible);
    BOOST_TEST(!irc_with("away-notify").plaintext_login_visible);
}
