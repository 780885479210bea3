#pragma once
// Revocation facts from the DER a server staples or a responder or CRL server returns: parsed and
// verified here with OpenSSL's OCSP and X509_CRL code, judged (into states) by runner/revocation.
//
// Every function takes the time to judge at, so that the unit tests can use fixed vectors.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "tls/ossl.hpp"

namespace tls_checks::tls {

// Where a certificate says its revocation status is published, and whether it demands a staple.
struct RevocationPointers {
    std::vector<std::string> ocsp_urls;  // authorityInfoAccess id-ad-ocsp URIs
    std::vector<std::string> crl_urls;   // cRLDistributionPoints fullName URIs
    bool must_staple = false;            // TLS feature extension with status_request (RFC 7633)
};

RevocationPointers revocation_pointers_of(X509* certificate);

enum class RevocationStatus { good, revoked, unknown };

// What an OCSP response or a CRL said of one certificate.
struct RevocationAnswer {
    RevocationStatus status = RevocationStatus::unknown;
    std::optional<std::string> reason;    // "keyCompromise", when revoked with a reason
    std::int64_t revoked_at = 0;          // when revoked
    std::int64_t this_update = 0;
    std::optional<std::int64_t> next_update;
    std::int64_t produced_at = 0;         // OCSP only
    std::string signer;                   // "CN=..." of the OCSP response's or CRL's signer
    bool delegated = false;               // OCSP: signed by a delegated responder, not the issuer
    std::size_t entries = 0;              // CRL only: how many certificates it lists
};

enum class RevocationProblem {
    malformed,          // not a DER OCSP response / CRL
    not_successful,     // OCSP responseStatus other than successful (tryLater, unauthorized, ...)
    bad_signature,      // not signed by the issuer or a delegated responder it issued
    other_certificate,  // OCSP: no SingleResponse for this certificate
    stale,              // nextUpdate passed (or thisUpdate older than allowed without one)
    not_yet_valid,      // thisUpdate in the future
    scope,              // CRL: its issuing distribution point does not cover this certificate
};

struct RevocationError {
    RevocationProblem problem = RevocationProblem::malformed;
    std::string message;  // "signature does not verify with the key of CN=..."
};

// Clock skew allowed between us and the responder, both ways (thisUpdate, nextUpdate).
inline constexpr std::int64_t revocation_clock_skew_seconds = 300;

// Verifies an OCSP response (stapled or fetched) for `certificate` issued by `issuer` at `now`:
// its signature by the issuer or by a responder certificate the issuer issued for id-kp-
// OCSPSigning (RFC 6960 4.2.2.2), the SingleResponse for the certificate's CertID, and its
// thisUpdate/nextUpdate.
Expected<RevocationAnswer, RevocationError> judge_ocsp_response(std::span<const std::uint8_t> der, X509* certificate,
                                                               X509* issuer, std::int64_t now);

// Verifies a CRL fetched from `url` for `certificate` issued by `issuer` at `now`: its
// signature with the issuer's key and its issuer name, thisUpdate/nextUpdate, its issuing
// distribution point (a partitioned CRL must name `url`, and must not exclude end-entity or CA
// certificates as `certificate` is one), then looks the serial number up as an integer.
Expected<RevocationAnswer, RevocationError> judge_crl(std::span<const std::uint8_t> der, X509* certificate,
                                                     X509* issuer, const std::string& url, std::int64_t now);

// The nextUpdate of a CRL, when it parses and has one (for the cache).
std::optional<std::int64_t> crl_next_update(std::span<const std::uint8_t> der);

// A DER OCSP request for `certificate` (SHA-1 CertID, as responders expect), no nonce: many
// responders answer from precomputed responses and ignore or refuse nonces.
std::vector<std::uint8_t> ocsp_request_for(X509* certificate, X509* issuer);

// "keyCompromise" for CRLReason 1 (RFC 5280 5.3.1).
std::string revocation_reason_name(int reason);

}  // namespace tls_checks::tls
