#pragma once
// How check_tls_cert (and every plugin that judges a certificate) turns a certificate chain into
// findings: the path clients build is judged, the rest of what the server sent only described.
//
// One function builds the path (tls::build_path), this one judges it. Expiry, keys and
// signatures are judged on the verified path, trust anchor included (not its self-signature);
// certificates sent off that path are reported on their own; only when no anchor is reached is
// what was sent judged, so that an untrusted chain is still described precisely.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "plugin/expiry_threshold.hpp"
#include "plugin/report.hpp"
#include "tls/certificate.hpp"
#include "tls/ossl.hpp"
#include "tls/verify.hpp"

namespace tls_checks::runner {

struct CertificatePolicy {
    plugin::ExpiryThreshold warning = plugin::default_warning_threshold();
    plugin::ExpiryThreshold critical = plugin::default_critical_threshold();
    bool leaf_only = false;  // thresholds on the leaf only; validity of the whole path still judged
    bool check_trust = true;
    tls::TrustAnchors anchors;
    tls::Purpose purpose = tls::Purpose::tls_server;
    std::optional<std::string> reference_name;  // A-label or IP literal; nullopt: no name check
    long min_key_bits = 2048;                   // RSA and DSA
    long min_ec_key_bits = 256;
};

// How the leaf's key was used: a signed key exchange (TLS 1.3, ECDHE, DHE), an RSA key
// exchange, or unknown (a certificate file).
enum class KeyUse { signed_key_exchange, rsa_key_exchange, unknown };

// Judges `sent` (leaf first, as the server sent it or as the file holds it) at time `now`
// (seconds since the epoch) into `report`: findings, long-output details, perfdata, and the OK
// summary; returns the path it judged. Fails only when the trust anchors cannot be loaded.
Expected<tls::CertificationPath, std::string> judge_certificates(plugin::Report& report, const std::vector<tls::X509Ptr>& sent,
                                               const CertificatePolicy& policy, KeyUse key_use, std::int64_t now);

// The leaf certificate one address of a name served.
struct ServedLeaf {
    std::string where;  // "127.0.0.2:443"
    tls::CertificateFacts facts;
};

// When the addresses of `name` serve different leaf certificates (different SHA-256), the classic
// half-finished renewal: a WARNING that names which address serves which (serial, expiry).
std::optional<plugin::Finding> judge_agreement(const std::string& name, const std::vector<ServedLeaf>& leaves);

}  // namespace tls_checks::runner
