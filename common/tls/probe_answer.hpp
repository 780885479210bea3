#pragma once
// What a server's answer to one version probe proves: accepted, refused, or unknown — with the
// detail that decided it. Pure: bytes in, verdict out, so every rule is unit-tested.

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "tls/protocol_version.hpp"
#include "tls/record.hpp"

namespace tls_checks::tls {

enum class ProbeVerdict { accepted, refused, unknown };

struct ProbeAnswer {
    ProbeVerdict verdict = ProbeVerdict::unknown;
    std::string detail;                          // "ServerHello TLSv1.2, cipher 0xC02F", "alert protocol_version"
    std::optional<std::uint16_t> negotiated;     // the version the server chose
    std::optional<std::uint16_t> cipher_suite;
    std::optional<Alert> alert;
    std::optional<std::size_t> sslv2_cipher_count;
    bool hello_retry_request = false;
    std::optional<std::uint16_t> group;          // key_share: chosen (ServerHello) or asked for (HRR)
    std::optional<std::string> non_tls_text;     // the answer is not SSL/TLS at all: how it starts
};

// Interprets everything received so far for a probe of `probed`. nullopt: no decision yet,
// read more. `peer_closed`: the server closed (or reset) the connection after these bytes.
std::optional<ProbeAnswer> interpret_answer(ProtocolVersion probed, std::span<const std::uint8_t> received,
                                            bool peer_closed);

// The first bytes of a non-TLS answer as text for a message ("HTTP/1.1 400 Bad Request").
std::string printable_prefix(std::span<const std::uint8_t> bytes, std::size_t max_chars = 40);

}  // namespace tls_checks::tls
