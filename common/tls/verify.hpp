#pragma once
// Chain verification, done after the handshake so that an untrusted chain is still inspected.

#include <optional>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "tls/ossl.hpp"

namespace tls_checks::tls {

struct TrustAnchors {
    std::optional<std::string> ca_file;  // PEM bundle
    std::optional<std::string> ca_path;  // directory hashed with c_rehash / openssl rehash
    // Neither set: the system store (SSL_CERT_DIR / SSL_CERT_FILE honoured).
};

struct VerifyProblem {
    int depth = 0;        // 0 = leaf
    int code = 0;         // X509_V_ERR_*
    std::string reason;   // OpenSSL's text: "unable to get local issuer certificate"
    std::string subject;  // of the certificate at that depth
};

struct VerifyResult {
    std::vector<VerifyProblem> problems;  // empty = trusted
    [[nodiscard]] bool trusted() const noexcept { return problems.empty(); }
};

// Verifies `presented` (leaf first) for TLS server use against the anchors. Validity-period
// errors of certificates the server presented are left out: the expiry check reports those
// with their dates. Fails (as a value) only when the anchors themselves cannot be loaded.
Expected<VerifyResult, std::string> verify_chain(const std::vector<X509Ptr>& presented, const TrustAnchors& anchors);

}  // namespace tls_checks::tls
