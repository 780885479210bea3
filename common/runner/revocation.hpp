#pragma once
// Is a certificate of the path revoked? A revoked certificate is as dead as an expired one.
//
// Every handshake asks for a stapled OCSP response and judges the one it gets (free: no extra
// connection). On request the check asks the CA: the OCSP responder in the certificate's AIA,
// or the CRL of its distribution point (since 2025 the WebPKI's main channel: Let's Encrypt
// dropped OCSP), over OpenSSL's HTTP client and within the run's deadline. Short-lived
// certificates (7 days or less, CA/B Forum BR from 2026-03-15) need no revocation information.

#include <cstdint>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "net/deadline.hpp"
#include "plugin/report.hpp"
#include "plugin/status.hpp"
#include "tls/http_fetch.hpp"
#include "tls/ossl.hpp"
#include "tls/verify.hpp"

namespace tls_checks::runner {

enum class RevocationMode {
    staple,     // judge a stapled OCSP response (and Must-Staple); ask nobody
    ocsp,       // also ask the OCSP responder when there is no valid staple
    crl,        // also fetch and judge the CRL
    automatic,  // staple, else OCSP when the certificate names a responder, else CRL
    none,       // nothing (no status_request either)
};

struct RevocationPolicy {
    RevocationMode mode = RevocationMode::staple;
    bool intermediates = false;                    // --revocation-depth all
    plugin::State unreachable = plugin::State::warning;  // no usable answer from the CA
    std::optional<std::string> cache_dir;          // CRLs kept until their nextUpdate
};

// The largest response accepted. Most CRLs are far smaller (CA averages of 1 KB to 512 KB,
// unmitigatedrisk.com/?p=351; the CRLs of the 50 most used intermediates in 2024 mostly under
// 1 MB, technotes.seastrom.com/2024/07/31/how-big-are-crls.html), a few grow to several MB
// after mass revocations; sharding (Let's Encrypt) keeps them small.
inline constexpr std::size_t max_revocation_response_bytes = 10 * 1024 * 1024;

// A certificate lives this long at most to be "short-lived" (BR 7.1.2.7: no CRL or OCSP
// pointers required).
inline constexpr std::int64_t short_lived_seconds = 7 * 24 * 3600;

// What the addresses of one run share: a responder or CRL is asked once, however many
// addresses serve the certificate (thread-safe); and the CRL cache.
class RevocationSources {
public:
    explicit RevocationSources(RevocationPolicy policy) : policy_(std::move(policy)) {}

    [[nodiscard]] const RevocationPolicy& policy() const noexcept { return policy_; }

    using Fetched = Expected<tls::FetchResult, tls::FetchError>;
    Fetched fetch(const tls::HttpRequest& request, const net::Deadline& deadline);

    // A CRL from --cache-dir that is still current at `now`.
    std::optional<std::vector<std::uint8_t>> cached_crl(const std::string& url, std::int64_t now) const;
    // Keeps a verified CRL in --cache-dir (written atomically); a message when that failed.
    std::optional<std::string> keep_crl(const std::string& url, const std::vector<std::uint8_t>& der) const;

private:
    RevocationPolicy policy_;
    std::mutex mutex_;
    std::map<std::string, std::shared_future<Fetched>> fetched_;
};

// Judges the revocation status of the path's leaf (and of its intermediates with
// --revocation-depth all) into `report`: findings, a "revocation: ..." detail for what was
// learned, and the perfdata time_revocation. `sent` is where an issuer missing from the path is
// looked for; `staple` the stapled OCSP response (empty: none, or a certificate file).
void judge_revocation(plugin::Report& report, const tls::CertificationPath& path, const std::vector<tls::X509Ptr>& sent,
                      const std::vector<std::uint8_t>& staple, RevocationSources& sources,
                      const net::Deadline& deadline, std::int64_t now);

}  // namespace tls_checks::runner
