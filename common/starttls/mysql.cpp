// MySQL / MariaDB: the server greets with an initial handshake packet (protocol 10) whose
// capability flags include CLIENT_SSL when TLS is available; the client answers with a short
// SSLRequest packet and starts the handshake.
#include "starttls/binary_dialogs.hpp"
#include "wire/byte_reader.hpp"
#include "wire/byte_writer.hpp"

namespace tls_checks::starttls {

namespace {

constexpr std::uint32_t client_long_password = 0x00000001;
constexpr std::uint32_t client_protocol_41 = 0x00000200;
constexpr std::uint32_t client_ssl = 0x00000800;
constexpr std::uint32_t client_secure_connection = 0x00008000;

}  // namespace

Expected<MysqlGreeting, MysqlGreetingError> parse_mysql_greeting(std::span<const std::uint8_t> payload) {
    const auto malformed = [](const wire::ByteReader& reader) { return unexpected(MysqlGreetingError{false, reader.error()}); };
    wire::ByteReader reader(payload, "malformed MySQL greeting");
    MysqlGreeting greeting;
    std::uint8_t version = 0;
    if (!reader.read_u8(version)) return malformed(reader);
    greeting.protocol_version = version;
    if (version == 0xFF) {
        // An ERR packet: error code, then (4.1+) '#' and a five-character SQL state, then the
        // message. The server turns the client away before any greeting.
        wire::ByteReader err(reader.rest(), "malformed MySQL ERR packet");
        std::uint16_t code = 0;
        if (!err.read_u16_le(code)) return malformed(err);
        std::string state;
        if (!err.empty() && err.rest().front() == '#') {
            std::span<const std::uint8_t> raw;
            if (!err.skip(1) || !err.read_bytes(5, raw)) return malformed(err);
            state.assign(raw.begin(), raw.end());
        }
        const std::string message(err.rest().begin(), err.rest().end());
        return unexpected(MysqlGreetingError{
            true, "MySQL error " + std::to_string(code) + (state.empty() ? "" : " (SQLSTATE " + state + ")") + ": " + message});
    }
    if (version != 10)
        return unexpected(MysqlGreetingError{false, "MySQL greeting of protocol version " + std::to_string(version) + ", not 10"});
    if (!reader.read_c_string(greeting.server_version))
        return unexpected(MysqlGreetingError{false, "malformed MySQL greeting: the server version lacks its terminating NUL"});
    std::uint32_t connection_id = 0;
    std::uint16_t lower = 0;
    std::uint8_t filler = 0;
    std::span<const std::uint8_t> scramble;
    if (!reader.read_u32_le(connection_id) || !reader.read_bytes(8, scramble) || !reader.read_u8(filler) ||
        !reader.read_u16_le(lower))
        return malformed(reader);
    greeting.capabilities = lower;
    // The rest (character set, status, upper capability flags, ...) is there on every server
    // since 4.1; older ones end here.
    std::uint16_t status = 0;
    std::uint16_t upper_flags = 0;
    if (reader.read_u8(greeting.character_set) && reader.read_u16_le(status) && reader.read_u16_le(upper_flags))
        greeting.capabilities |= static_cast<std::uint32_t>(upper_flags) << 16u;
    return greeting;
}

Expected<DialogResult, DialogError> upgrade_mysql(DialogChannel& channel, const net::Deadline& deadline) {
    DialogResult result;
    net::LineReader& reader = channel.reader();
    auto header = reader.read_exact(4, deadline);
    if (!header) return unexpected(dialog_error(header.error()));
    wire::ByteReader header_reader(*header, "MySQL packet");
    std::uint32_t length = 0;
    std::uint8_t sequence = 0;
    if (!header_reader.read_u24_le(length) || !header_reader.read_u8(sequence))
        return unexpected(DialogError{DialogFailure::protocol_error, header_reader.error(), {}});
    if (length == 0 || length > 64 * 1024)
        return unexpected(DialogError{DialogFailure::protocol_error, "MySQL greeting of " + std::to_string(length) + " bytes", {}});
    auto payload = reader.read_exact(length, deadline);
    if (!payload) return unexpected(dialog_error(payload.error()));
    result.greeting_at = std::chrono::steady_clock::now();
    auto greeting = parse_mysql_greeting(*payload);
    // Only an ERR packet turns the client away; a greeting that cannot be read breaks the protocol.
    if (!greeting)
        return unexpected(DialogError{greeting.error().server_error ? DialogFailure::refused : DialogFailure::protocol_error,
                                      greeting.error().message, {}});
    result.greeting = greeting->server_version;
    result.capabilities.push_back("server " + greeting->server_version);
    result.capabilities.push_back((greeting->capabilities & client_ssl) != 0 ? "CLIENT_SSL" : "no CLIENT_SSL");
    if ((greeting->capabilities & client_ssl) == 0)
        return unexpected(DialogError{DialogFailure::not_offered, "the greeting lacks CLIENT_SSL", result.capabilities});
    // The client starts TLS after its SSLRequest without an answer: the greeting is the go-ahead,
    // and send_starttls() refuses to go on when anything follows it.
    channel.go_ahead();

    // SSLRequest: a HandshakeResponse cut short after its fixed part (32 bytes), sequence 1.
    wire::ByteWriter request;
    request.u24_le(32);
    request.u8(static_cast<std::uint8_t>(sequence + 1));
    request.u32_le(client_long_password | client_protocol_41 | client_ssl | client_secure_connection);
    request.u32_le(16 * 1024 * 1024);  // max packet size
    request.u8(greeting->character_set != 0 ? greeting->character_set : 33);
    request.zeros(23);
    if (auto sent = channel.send_starttls(request.data(), deadline); !sent) {
        auto error = std::move(sent.error());
        error.capabilities = result.capabilities;
        return unexpected(std::move(error));
    }
    return result;
}

}  // namespace tls_checks::starttls
