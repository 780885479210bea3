#pragma once
// DANE (RFC 6698, RFC 7671; for SMTP RFC 7672): TLSA records and what OpenSSL's DANE
// verification made of them in a handshake. The matching itself is OpenSSL's (SSL_dane_enable,
// SSL_dane_tlsa_add): DANE-EE(3) authenticates the leaf's key or certificate with no name or
// expiry check, as senders do; DANE-TA(2) anchors a chain that must then be valid and match a
// reference name; PKIX-TA(0) and PKIX-EE(1) add a constraint to ordinary WebPKI validation.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tls_checks::tls {

struct TlsaRecord {
    std::uint8_t usage = 0;     // 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE
    std::uint8_t selector = 0;  // 0 Cert, 1 SPKI
    std::uint8_t matching = 0;  // 0 Full, 1 SHA2-256, 2 SHA2-512
    std::vector<std::uint8_t> data;
};

// A TLSA record's RDATA (RFC 6698 2.1); nullopt when shorter than its three fields and one byte.
std::optional<TlsaRecord> parse_tlsa(std::span<const std::uint8_t> rdata);
// "3 1 1 ab12cd…" (the data cut after 16 bytes), as zone files show it.
std::string tlsa_text(const TlsaRecord& record);
// "DANE-EE(3)" and the like.
std::string usage_name(std::uint8_t usage);

// What the handshake is to verify.
struct DaneRequest {
    // The TLSA base domain (RFC 7671 7; for SMTP the MX host name): DANE-TA chains must match it
    // or one of `other_names`.
    std::string base_domain;
    std::vector<std::string> other_names;
    std::vector<TlsaRecord> records;
    // SMTP (RFC 7672 3.1.3): PKIX-TA(0) and PKIX-EE(1) records are unusable and left out.
    bool smtp = false;
    // For PKIX-TA(0) and PKIX-EE(1): the WebPKI store (nullopt: the system's).
    std::optional<std::string> ca_file;
    std::optional<std::string> ca_path;
};

// What OpenSSL's DANE verification found.
struct DaneOutcome {
    std::size_t usable = 0;               // records OpenSSL took
    std::vector<std::string> unusable;    // "0 0 1 ab…: PKIX-TA(0), not used for SMTP (RFC 7672 3.1.3)"
    bool authenticated = false;           // a record matched and the rest of verification passed
    std::optional<TlsaRecord> matched;    // the record that matched
    int matched_depth = -1;               // 0 = the leaf
    std::string failure;                  // OpenSSL's reason when not authenticated
};

}  // namespace tls_checks::tls
