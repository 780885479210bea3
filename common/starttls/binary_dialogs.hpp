#pragma once
// The dialogs that are not line-based: XMPP (XML stream), LDAP (BER), PostgreSQL and MySQL
// (their own binary framing). Each lives in its own file.

#include <optional>
#include <vector>

#include "starttls/dialog.hpp"
#include "starttls/dialog_channel.hpp"

namespace tls_checks::starttls {

// Each runs over the channel, sends its STARTTLS request with send_starttls() and calls
// go_ahead() once the go-ahead is parsed; upgrade() checks the buffers afterwards.
Expected<DialogResult, DialogError> upgrade_xmpp_client(DialogChannel& channel, const DialogOptions& options,
                                                        const net::Deadline& deadline);
Expected<DialogResult, DialogError> upgrade_xmpp_server(DialogChannel& channel, const DialogOptions& options,
                                                        const net::Deadline& deadline);
Expected<std::vector<std::string>, DialogError> xmpp_capabilities_after_tls(bool server, net::LineReader& reader,
                                                                            const DialogOptions& options,
                                                                            const net::Deadline& deadline);
Expected<DialogResult, DialogError> upgrade_ldap(DialogChannel& channel, const net::Deadline& deadline);
Expected<DialogResult, DialogError> upgrade_postgres(DialogChannel& channel, const net::Deadline& deadline);
Expected<DialogResult, DialogError> upgrade_mysql(DialogChannel& channel, const net::Deadline& deadline);

// The messageID of the StartTLS request.
inline constexpr int ldap_start_tls_message_id = 1;

// The BER-encoded LDAP StartTLS ExtendedRequest (RFC 4511 4.14.1), messageID
// ldap_start_tls_message_id.
std::vector<std::uint8_t> ldap_start_tls_request();

struct LdapExtendedResponse {
    int message_id = 0;
    int result_code = -1;
    std::string diagnostic;
    std::optional<std::string> response_name;  // responseName [10], when present
};

// Parses an LDAPMessage carrying an ExtendedResponse (RFC 4511 4.12).
Expected<LdapExtendedResponse, std::string> parse_ldap_extended_response(std::span<const std::uint8_t> message);

struct MysqlGreeting {
    int protocol_version = 0;
    std::string server_version;
    std::uint32_t capabilities = 0;
    std::uint8_t character_set = 0;
};

struct MysqlGreetingError {
    // True for an ERR packet in place of the greeting (too many connections, a host not allowed):
    // the server turned the client away. False for a greeting that cannot be read, or one of
    // another protocol version: a protocol error, not a refusal.
    bool server_error = false;
    std::string message;  // "MySQL error 1040 (SQLSTATE 08004): ...", "malformed MySQL greeting: ..."
};

// Parses a MySQL/MariaDB initial handshake packet payload (protocol 10). On success the server
// version is shorter than the payload and holds no NUL.
Expected<MysqlGreeting, MysqlGreetingError> parse_mysql_greeting(std::span<const std::uint8_t> payload);

}  // namespace tls_checks::starttls
