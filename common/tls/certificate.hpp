#pragma once
// Facts about one X.509 certificate, read once into plain values.

#include <openssl/x509.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tls/name_match.hpp"

namespace tls_checks::tls {

struct PublicKeyFacts {
    std::string type;       // "RSA", "DSA", "EC", "ED25519", "ED448", "DH", or OpenSSL's name
    int bits = 0;
    std::string curve;      // "prime256v1" for EC keys
};

struct SignatureFacts {
    std::string algorithm;  // "sha256WithRSAEncryption"
    std::string digest;     // "SHA256", "SHA1", "MD5", or empty (Ed25519: none separate)
    bool weak_digest = false;  // MD2, MD4, MD5 or SHA-1: collisions are practical
};

struct CertificateFacts {
    std::string subject;    // RFC 2253, raw (sanitize before printing)
    std::string issuer;
    std::string common_name;  // first CN of the subject, or empty
    CertificateNames names;   // SAN DNS names, SAN IP addresses, subject CNs
    std::int64_t not_before = 0;  // seconds since the epoch, UTC
    std::int64_t not_after = 0;
    PublicKeyFacts key;
    SignatureFacts signature;
    std::string serial;           // hex
    std::string sha256_fingerprint;  // "AB:CD:..."
    bool self_signed = false;        // issuer == subject and its own key verifies it
    bool is_ca = false;              // basicConstraints cA TRUE
    bool has_key_usage = false;      // a keyUsage extension is present
    std::uint32_t key_usage = 0;     // its KU_* bits (openssl/x509v3.h) when present
};

CertificateFacts describe_certificate(X509* certificate);

// Seconds since the epoch (UTC) of an ASN.1 time; 0 when it cannot be read.
std::int64_t epoch_seconds(const ASN1_TIME* time);

// A label for messages: "CN=leaf.example" when the subject has a CN, else its first
// subjectAltName ("DNS:leaf.example"), else the whole subject, else its serial number.
std::string short_name(const CertificateFacts& facts);

}  // namespace tls_checks::tls
