#pragma once
// Hand-built first flights for the version probes. They do not depend on what the local
// OpenSSL can speak, so SSLv2 and SSLv3 can be proven off on a distribution that has neither.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tls/protocol_version.hpp"

namespace tls_checks::tls {

struct HelloOptions {
    std::optional<std::string> server_name;   // SNI (never for SSLv2/SSLv3, never an IP literal)
    bool fallback_scsv = false;               // add TLS_FALLBACK_SCSV (RFC 7507)
    std::array<std::uint8_t, 32> random{};    // ClientHello.random, or SSLv2 challenge (first 16)
    std::array<std::uint8_t, 32> session_id{};// TLS 1.3 middlebox-compatibility session id
    std::array<std::uint8_t, 32> key_share{}; // X25519 public value for TLS 1.3
};

// Fills random, session id and key share from the kernel's random source.
HelloOptions random_hello_options();

// The bytes to send for a probe of `version`: one record holding a ClientHello (or the SSLv2
// CLIENT-HELLO record), offering a broad cipher list so that "no shared cipher" is not mistaken
// for "version refused".
std::vector<std::uint8_t> build_client_hello(ProtocolVersion version, const HelloOptions& options);

// Cipher suites (TLS code points) offered for a version, for tests and for the record.
std::vector<std::uint16_t> offered_cipher_suites(ProtocolVersion version);

// Named groups (RFC 8446 4.2.7) the probes need by name; the ML-KEM hybrids are
// draft-ietf-tls-ecdhe-mlkem, as OpenSSL 3.5, BoringSSL and the browsers ship them.
namespace named_group {
inline constexpr std::uint16_t x25519 = 0x001D;
inline constexpr std::uint16_t secp256r1_mlkem768 = 0x11EB;
inline constexpr std::uint16_t x25519_mlkem768 = 0x11EC;
inline constexpr std::uint16_t secp384r1_mlkem1024 = 0x11ED;
}  // namespace named_group

// Groups offered in supported_groups for a version, in order (empty for SSLv2 and SSLv3).
std::vector<std::uint16_t> offered_groups(ProtocolVersion version);

// "x25519", "X25519MLKEM768", or "group 0x1234" for one this code has no name for.
std::string named_group_name(std::uint16_t group);

// One of the three post-quantum hybrids above.
bool is_post_quantum_hybrid(std::uint16_t group);

inline constexpr std::uint16_t tls_fallback_scsv = 0x5600;        // RFC 7507
inline constexpr std::uint16_t empty_renegotiation_scsv = 0x00FF; // RFC 5746

}  // namespace tls_checks::tls
