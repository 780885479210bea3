#pragma once
// Parsers for what a server answers to a probe: the TLS ServerHello (including
// HelloRetryRequest) and the SSLv2 SERVER-HELLO. Facts only; whether a version is accepted is
// decided by the caller.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/expected.hpp"

namespace tls_checks::tls {

struct ServerHello {
    std::uint16_t legacy_version = 0;
    std::array<std::uint8_t, 32> random{};
    std::vector<std::uint8_t> session_id;
    std::uint16_t cipher_suite = 0;
    std::uint8_t compression_method = 0;
    std::optional<std::uint16_t> selected_version;  // supported_versions (RFC 8446 4.2.1)
    std::optional<std::uint16_t> selected_group;    // key_share: the group chosen (ServerHello) or asked for (HRR)
    bool hello_retry_request = false;               // RFC 8446 4.1.3: the special random
    std::vector<std::uint16_t> extensions;          // types, in order

    // supported_versions when present (TLS 1.3 and HRR), legacy_version otherwise.
    [[nodiscard]] std::uint16_t negotiated_version() const noexcept {
        return selected_version.value_or(legacy_version);
    }
};

// Parses the body of a ServerHello handshake message (after type and length). Rejects
// truncation, bad vector lengths, duplicate extensions and trailing bytes.
Expected<ServerHello, std::string> parse_server_hello(std::span<const std::uint8_t> body);

struct Sslv2ServerHello {
    bool session_id_hit = false;
    std::uint8_t certificate_type = 0;
    std::uint16_t version = 0;
    std::size_t certificate_length = 0;
    std::size_t cipher_spec_count = 0;  // 3-byte cipher kinds the server offers; may be 0
    std::size_t connection_id_length = 0;
};

// Parses an SSLv2 SERVER-HELLO message (from its message type byte on, record header removed;
// SSLv2 draft, "Server Only Protocol Messages").
Expected<Sslv2ServerHello, std::string> parse_sslv2_server_hello(std::span<const std::uint8_t> message);

// RFC 8446 4.1.3: a ServerHello with this random is a HelloRetryRequest.
extern const std::array<std::uint8_t, 32> hello_retry_request_random;

}  // namespace tls_checks::tls
