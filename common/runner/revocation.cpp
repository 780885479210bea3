#include "runner/revocation.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "plugin/duration_text.hpp"
#include "plugin/perfdata.hpp"
#include "tls/certificate.hpp"
#include "tls/revocation.hpp"

namespace tls_checks::runner {

using plugin::State;

namespace {

std::string sha256_hex(const std::string& text) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(text.data(), text.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) return "url";
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < length; ++i) {
        hex += digits[digest[i] >> 4];
        hex += digits[digest[i] & 0x0F];
    }
    return hex;
}

bool is_http(const std::string& url) { return url.rfind("http://", 0) == 0; }

// The issuer of path element `index`: the next element, else a certificate the server sent
// that issued it.
X509* issuer_of(const tls::CertificationPath& path, const std::vector<tls::X509Ptr>& sent, std::size_t index) {
    if (index + 1 < path.certificates.size()) return path.certificates[index + 1].get();
    X509* subject = path.certificates[index].get();
    for (const auto& candidate : sent) {
        if (candidate.get() != subject && X509_check_issued(candidate.get(), subject) == X509_V_OK) return candidate.get();
    }
    return nullptr;
}

// One certificate's judgement: what it is called, and where the report goes.
struct Subject {
    plugin::Report& report;
    X509* certificate;
    X509* issuer;
    std::string name;  // "leaf CN=www.example.org", "intermediate 1 CN=..."
    const RevocationPolicy& policy;
};

// Reports a verified answer from `source`; always an answer about the status.
void report_answer(const Subject& subject, const tls::RevocationAnswer& answer, const std::string& source) {
    // An OCSP response says when it was made; a CRL when its list was.
    std::string when = answer.produced_at != 0 ? "produced " + plugin::utc_date(answer.produced_at)
                                               : "this update " + plugin::utc_date(answer.this_update);
    if (answer.next_update) when += ", next update " + plugin::utc_date(*answer.next_update);
    switch (answer.status) {
        case tls::RevocationStatus::good:
            subject.report.add_detail("revocation: " + source + " says " + subject.name + " is not revoked (" + when + ")");
            break;
        case tls::RevocationStatus::revoked:
            subject.report.add(State::critical, subject.name + " is revoked since " + plugin::utc_date(answer.revoked_at) +
                                                    (answer.reason ? " (" + *answer.reason + ")" : std::string()) +
                                                    ", says " + source);
            break;
        case tls::RevocationStatus::unknown:
            subject.report.add(State::warning, subject.name + " is unknown to the responder (" + source + ", " + when + ")");
            break;
    }
}

// An answer that was not usable: a problem of the answer (WARNING), or no answer to be had (the
// --revocation-unreachable state).
void report_unusable(const Subject& subject, const std::string& source, const tls::RevocationError& error) {
    const bool no_answer = error.problem == tls::RevocationProblem::malformed ||
                           error.problem == tls::RevocationProblem::not_successful;
    subject.report.add(no_answer ? subject.policy.unreachable : State::warning,
                       source + ": " + error.message + " (" + subject.name + ")");
}

// Asks the first http:// OCSP responder; true when it gave a usable answer.
bool ask_ocsp(const Subject& subject, const tls::RevocationPointers& pointers, RevocationSources& sources,
              const net::Deadline& deadline, std::int64_t now) {
    for (const auto& url : pointers.ocsp_urls) {
        if (!is_http(url)) continue;
        const std::string source = "OCSP responder " + url;
        tls::HttpRequest request;
        request.url = url;
        request.body = tls::ocsp_request_for(subject.certificate, subject.issuer);
        request.content_type = "application/ocsp-request";
        request.max_response_bytes = max_revocation_response_bytes;
        const auto fetched = sources.fetch(request, deadline);
        if (!fetched) {
            subject.report.add(subject.policy.unreachable, source + ": " + fetched.error().message + " (" + subject.name + ")");
            return false;
        }
        const auto judged = tls::judge_ocsp_response(fetched->body, subject.certificate, subject.issuer, now);
        if (!judged) {
            report_unusable(subject, source, judged.error());
            return false;
        }
        report_answer(subject, *judged, source);
        return true;
    }
    return false;
}

// Fetches (or takes from the cache) and judges the CRL; true when it gave a usable answer.
bool check_crl(const Subject& subject, const tls::RevocationPointers& pointers, RevocationSources& sources,
               const net::Deadline& deadline, std::int64_t now) {
    for (const auto& url : pointers.crl_urls) {
        if (!is_http(url)) continue;
        std::string source = "CRL " + url;
        std::vector<std::uint8_t> der;
        bool from_cache = false;
        if (auto cached = sources.cached_crl(url, now)) {
            der = std::move(*cached);
            from_cache = true;
        } else {
            tls::HttpRequest request;
            request.url = url;
            request.max_response_bytes = max_revocation_response_bytes;
            const auto fetched = sources.fetch(request, deadline);
            if (!fetched) {
                subject.report.add(subject.policy.unreachable, source + ": " + fetched.error().message + " (" + subject.name + ")");
                return false;
            }
            der = fetched->body;
        }
        const auto judged = tls::judge_crl(der, subject.certificate, subject.issuer, url, now);
        if (!judged) {
            report_unusable(subject, source, judged.error());
            return false;
        }
        source += " of " + plugin::utc_date(judged->this_update) + ", " + std::to_string(judged->entries) +
                  (judged->entries == 1 ? " entry" : " entries") + (from_cache ? ", from the cache" : "");
        report_answer(subject, *judged, source);
        if (!from_cache) {
            if (auto failed = sources.keep_crl(url, der)) subject.report.add_detail("revocation: " + *failed);
        }
        return true;
    }
    return false;
}

void judge_one(const Subject& subject, bool leaf, const std::vector<std::uint8_t>& staple, RevocationSources& sources,
               const net::Deadline& deadline, std::int64_t now) {
    const RevocationPolicy& policy = subject.policy;
    const auto pointers = tls::revocation_pointers_of(subject.certificate);
    if (leaf && !staple.empty()) {
        const auto judged = tls::judge_ocsp_response(staple, subject.certificate, subject.issuer, now);
        if (judged) {
            report_answer(subject, *judged, "the stapled OCSP response" +
                                                (judged->signer.empty() ? std::string() : " from " + judged->signer));
            if (policy.mode != RevocationMode::crl) return;
        } else {
            report_unusable(subject, "stapled OCSP response", judged.error());
        }
    } else if (leaf && pointers.must_staple) {
        subject.report.add(State::critical, subject.name + " is must-staple (TLS feature status_request, RFC 7633) "
                                                           "but the server sent no OCSP response");
    }

    const std::int64_t lifetime = tls::epoch_seconds(X509_get0_notAfter(subject.certificate)) -
                                  tls::epoch_seconds(X509_get0_notBefore(subject.certificate));
    if (pointers.ocsp_urls.empty() && pointers.crl_urls.empty() && lifetime <= short_lived_seconds) {
        subject.report.add_detail("revocation not applicable: " + subject.name + " is short-lived (" +
                                  std::to_string((lifetime + 43200) / 86400) + " days) and names no OCSP responder or CRL");
        return;
    }
    switch (policy.mode) {
        case RevocationMode::none: return;
        case RevocationMode::staple:
            if (leaf && staple.empty() && !pointers.must_staple)
                subject.report.add_detail("revocation: no stapled OCSP response; --revocation ocsp, crl or auto asks the CA");
            return;
        case RevocationMode::ocsp:
            if (ask_ocsp(subject, pointers, sources, deadline, now)) return;
            if (pointers.ocsp_urls.empty())
                subject.report.add(State::warning, "revocation unknown: " + subject.name + " names no OCSP responder" +
                                                       (pointers.crl_urls.empty() ? "" : " (it names a CRL: --revocation crl)"));
            return;
        case RevocationMode::crl:
            if (check_crl(subject, pointers, sources, deadline, now)) return;
            if (pointers.crl_urls.empty())
                subject.report.add(State::warning, "revocation unknown: " + subject.name + " names no CRL distribution point" +
                                                       (pointers.ocsp_urls.empty() ? "" : " (it names an OCSP responder: --revocation ocsp)"));
            return;
        case RevocationMode::automatic:
            if (!pointers.ocsp_urls.empty()) {
                // What the responder did counts only if the CRL cannot answer either.
                plugin::Report attempt("");
                const Subject trial{attempt, subject.certificate, subject.issuer, subject.name, policy};
                const bool answered = ask_ocsp(trial, pointers, sources, deadline, now);
                const bool crl_answered = !answered && !pointers.crl_urls.empty() &&
                                          check_crl(subject, pointers, sources, deadline, now);
                for (const auto& finding : attempt.findings()) {
                    if (crl_answered) subject.report.add_detail("revocation: " + finding.text + "; the CRL answered instead");
                    else subject.report.add(finding.state, finding.text);
                }
                for (const auto& detail : attempt.details()) subject.report.add_detail(detail);
                return;
            }
            if (check_crl(subject, pointers, sources, deadline, now)) return;
            if (pointers.ocsp_urls.empty() && pointers.crl_urls.empty())
                subject.report.add(State::warning, "revocation unknown: " + subject.name +
                                                       " names neither an OCSP responder nor a CRL distribution point");
            return;
    }
}

}  // namespace

RevocationSources::Fetched RevocationSources::fetch(const tls::HttpRequest& request, const net::Deadline& deadline) {
    std::string key = request.url;
    if (request.body) key += "\n" + std::string(request.body->begin(), request.body->end());
    std::promise<Fetched> promise;
    std::shared_future<Fetched> future;
    bool mine = false;
    {
        const std::lock_guard lock(mutex_);
        if (auto found = fetched_.find(key); found != fetched_.end()) {
            future = found->second;
        } else {
            future = promise.get_future().share();
            fetched_.emplace(key, future);
            mine = true;
        }
    }
    // The first asker fetches (bounded by the deadline); the others wait for its answer.
    if (mine) promise.set_value(tls::http_fetch(request, deadline));
    return future.get();
}

std::optional<std::vector<std::uint8_t>> RevocationSources::cached_crl(const std::string& url, std::int64_t now) const {
    if (!policy_.cache_dir) return std::nullopt;
    const std::string path = *policy_.cache_dir + "/" + sha256_hex(url) + ".crl";
    std::FILE* file = std::fopen(path.c_str(), "rb");
    if (file == nullptr) return std::nullopt;
    std::vector<std::uint8_t> der;
    std::array<std::uint8_t, 65536> chunk{};
    std::size_t got = 0;
    while ((got = std::fread(chunk.data(), 1, chunk.size(), file)) > 0) {
        der.insert(der.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(got));
        if (der.size() > max_revocation_response_bytes) break;
    }
    std::fclose(file);
    if (der.size() > max_revocation_response_bytes) return std::nullopt;
    const auto next = tls::crl_next_update(der);
    if (!next || *next <= now) return std::nullopt;  // stale, or without a nextUpdate: fetch again
    return der;
}

std::optional<std::string> RevocationSources::keep_crl(const std::string& url, const std::vector<std::uint8_t>& der) const {
    if (!policy_.cache_dir) return std::nullopt;
    const std::string name = *policy_.cache_dir + "/" + sha256_hex(url) + ".crl";
    std::string temporary = name + ".XXXXXX";
    const int fd = ::mkstemp(temporary.data());
    if (fd < 0) return "cannot write to --cache-dir " + *policy_.cache_dir + ": " + std::strerror(errno);
    std::size_t written = 0;
    while (written < der.size()) {
        const ssize_t wrote = ::write(fd, der.data() + written, der.size() - written);
        if (wrote < 0 && errno == EINTR) continue;
        if (wrote <= 0) break;
        written += static_cast<std::size_t>(wrote);
    }
    (void)::fchmod(fd, 0644);  // a CRL is public
    const bool closed = ::close(fd) == 0;
    // rename() replaces the old file at once: a concurrent check reads the old CRL or the new one.
    if (written != der.size() || !closed || ::rename(temporary.c_str(), name.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        ::unlink(temporary.c_str());
        return "cannot write " + name + ": " + why;
    }
    return std::nullopt;
}

void judge_revocation(plugin::Report& report, const tls::CertificationPath& path, const std::vector<tls::X509Ptr>& sent,
                      const std::vector<std::uint8_t>& staple, RevocationSources& sources,
                      const net::Deadline& deadline, std::int64_t now) {
    const RevocationPolicy& policy = sources.policy();
    if (policy.mode == RevocationMode::none || path.certificates.empty()) return;
    const auto started = std::chrono::steady_clock::now();
    // The anchor is trusted as it is: no status is asked for it.
    const std::size_t last = path.anchored ? path.certificates.size() - 1 : path.certificates.size();
    for (std::size_t i = 0; i < last && (i == 0 || policy.intermediates); ++i) {
        X509* certificate = path.certificates[i].get();
        const std::string name = (i == 0 ? std::string("leaf ") : "intermediate " + std::to_string(i) + " ") +
                                 tls::short_name(tls::describe_certificate(certificate));
        X509* issuer = issuer_of(path, sent, i);
        if (issuer == nullptr) {
            report.add_detail("revocation of " + name + " not checked: its issuer is not known");
            continue;
        }
        judge_one(Subject{report, certificate, issuer, name, policy}, i == 0, staple, sources, deadline, now);
    }
    report.add_perfdata(plugin::seconds_perfdata("time_revocation", std::chrono::steady_clock::now() - started));
}

}  // namespace tls_checks::runner
