#pragma once
// The certification path a client builds from what the server sent and what it trusts.
//
// Everything that matters to clients (expiry, keys, signatures) is judged on this path, never on
// the list the server happened to send: servers send stale cross-signs, retired intermediates
// and whole bundles, leave intermediates out, and anchor at roots they never send (Go's
// crypto/x509 Verify and OpenSSL's X509_STORE_CTX_get1_chain work the same way).

#include <cstdint>
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

// What the path is checked for (X509_PURPOSE_SSL_SERVER / _CLIENT, or no purpose at all).
enum class Purpose { tls_server, tls_client, any };

struct VerifyProblem {
    int depth = 0;        // 0 = leaf
    int code = 0;         // X509_V_ERR_*
    std::string reason;   // OpenSSL's text: "unable to get local issuer certificate"
    std::string subject;  // of the certificate at that depth
};

struct CertificationPath {
    // Leaf first, trust anchor last, as OpenSSL's verification built it. Holds only the leaf and
    // what could be chained to it when no anchor was reached.
    std::vector<X509Ptr> certificates;
    // Ends at a trust anchor from the store. Validity periods are never problems here: the
    // expiry judgement reports them with dates, on every element of the path.
    bool anchored = false;
    std::vector<VerifyProblem> problems;  // everything else OpenSSL objected to; empty = verified
    [[nodiscard]] bool verified() const noexcept { return anchored && problems.empty(); }
};

// Longest path looked for: real WebPKI paths have 3 or 4 elements; a bound keeps work and
// output small whatever a server sends.
inline constexpr int max_path_depth = 8;

// How hard the system store is searched. Its hashed directory is read lazily, one file per
// issuer needed; the bundle file costs every one of its ~140 certificates' decoding (about ten
// times a whole run) and is read only when the directory cannot finish the path and the answer
// matters (not with --ignore-trust).
enum class StoreSearch { directory_then_bundle, directory_only };

// Builds and verifies the path for `sent` (leaf first; the rest may be in any order and may hold
// certificates that belong to no path). Fails (as a value) only when the anchors themselves
// cannot be loaded.
Expected<CertificationPath, std::string> build_path(const std::vector<X509Ptr>& sent, const TrustAnchors& anchors,
                                                    Purpose purpose,
                                                    StoreSearch search = StoreSearch::directory_then_bundle);

// What a WebPKI client (an MTA-STS sender, a browser) would object to in `path` for `host` at
// `now` (seconds since the epoch): no anchor, OpenSSL's first problem, an element outside its
// validity period, or a `leaf` that does not match `host`; nullopt when it accepts it.
std::optional<std::string> webpki_problem(const CertificationPath& path, X509* leaf, const std::string& host,
                                          std::int64_t now);

// Whether `certificate` is one of `list` (same encoding).
bool contains_certificate(const std::vector<X509Ptr>& list, const X509* certificate);

}  // namespace tls_checks::tls
