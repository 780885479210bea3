#include "tls/server_hello.hpp"

#include <algorithm>

#include "wire/byte_reader.hpp"

namespace tls_checks::tls {

const std::array<std::uint8_t, 32> hello_retry_request_random = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};

namespace {

constexpr std::uint16_t supported_versions_type = 43;
constexpr std::uint16_t key_share_type = 51;

bool read_extensions(wire::ByteReader& reader, ServerHello& hello) {
    // RFC 5246 7.4.1.4: extensions may be absent altogether before TLS 1.3.
    if (reader.empty()) return true;
    wire::ByteReader list;
    if (!reader.read_vector(2, 0, 0xFFFF, list, "extensions")) return false;
    while (!list.empty()) {
        std::uint16_t type = 0;
        wire::ByteReader data;
        if (!list.read_u16(type) || !list.read_vector(2, 0, 0xFFFF, data, "extension " + std::to_string(type)))
            return reader.fail_from(list);
        // RFC 8446 4.2: no more than one extension of the same type.
        if (std::find(hello.extensions.begin(), hello.extensions.end(), type) != hello.extensions.end())
            return reader.fail("duplicate extension " + std::to_string(type));
        hello.extensions.push_back(type);
        if (type == supported_versions_type) {
            std::uint16_t selected = 0;
            if (!data.read_u16(selected) || !data.expect_empty()) return reader.fail_from(data);
            hello.selected_version = selected;
        } else if (type == key_share_type) {
            // RFC 8446 4.2.8: a HelloRetryRequest carries only the group it wants
            // (KeyShareHelloRetryRequest); a ServerHello one KeyShareEntry, whose key_exchange is
            // <1..2^16-1> (an ML-KEM hybrid share is over 1 KB, so no tighter bound here).
            std::uint16_t group = 0;
            if (!data.read_u16(group)) return reader.fail_from(data);
            if (!hello.hello_retry_request) {
                wire::ByteReader key_exchange;
                if (!data.read_vector(2, 1, 0xFFFF, key_exchange, "key_exchange")) return reader.fail_from(data);
            }
            if (!data.expect_empty()) return reader.fail_from(data);
            hello.selected_group = group;
        }
        // Every other extension is skipped on purpose: the version probe needs none of them.
    }
    return true;
}

}  // namespace

Expected<ServerHello, std::string> parse_server_hello(std::span<const std::uint8_t> body) {
    wire::ByteReader reader(body, "ServerHello");
    ServerHello hello;
    std::span<const std::uint8_t> random;
    wire::ByteReader session_id;
    const bool ok = reader.read_u16(hello.legacy_version) && reader.read_bytes(32, random) &&
                    reader.read_vector(1, 0, 32, session_id, "session_id") && reader.read_u16(hello.cipher_suite) &&
                    reader.read_u8(hello.compression_method);
    if (!ok) return unexpected(reader.error());
    std::copy(random.begin(), random.end(), hello.random.begin());
    hello.session_id.assign(session_id.rest().begin(), session_id.rest().end());
    hello.hello_retry_request = hello.random == hello_retry_request_random;
    if (!read_extensions(reader, hello) || !reader.expect_empty()) return unexpected(reader.error());
    return hello;
}

Expected<Sslv2ServerHello, std::string> parse_sslv2_server_hello(std::span<const std::uint8_t> message) {
    wire::ByteReader reader(message, "SSLv2 SERVER-HELLO");
    Sslv2ServerHello hello;
    std::uint8_t type = 0;
    std::uint8_t hit = 0;
    std::uint16_t certificate_length = 0;
    std::uint16_t cipher_specs_length = 0;
    std::uint16_t connection_id_length = 0;
    if (!reader.read_u8(type)) return unexpected(reader.error());
    if (type != 4) return unexpected(reader.context() + ": message type " + std::to_string(type) + " is not 4");
    const bool header = reader.read_u8(hit) && reader.read_u8(hello.certificate_type) &&
                        reader.read_u16(hello.version) && reader.read_u16(certificate_length) &&
                        reader.read_u16(cipher_specs_length) && reader.read_u16(connection_id_length);
    if (!header) return unexpected(reader.error());
    if (cipher_specs_length % 3 != 0)
        return unexpected(reader.context() + ": cipher specs length " + std::to_string(cipher_specs_length) +
                          " is not a multiple of 3");
    // The draft bounds the connection id to 16..32 bytes.
    if (connection_id_length < 16 || connection_id_length > 32)
        return unexpected(reader.context() + ": connection id length " + std::to_string(connection_id_length) +
                          " outside 16..32");
    const bool rest = reader.skip(certificate_length) && reader.skip(cipher_specs_length) &&
                      reader.skip(connection_id_length) && reader.expect_empty();
    if (!rest) return unexpected(reader.error());
    hello.session_id_hit = hit != 0;
    hello.certificate_length = certificate_length;
    hello.cipher_spec_count = cipher_specs_length / 3u;
    hello.connection_id_length = connection_id_length;
    return hello;
}

}  // namespace tls_checks::tls
