#include "runner/certificate_judgement.hpp"

#include <openssl/x509v3.h>

#include <algorithm>

#include "plugin/duration_text.hpp"
#include "plugin/number.hpp"
#include "tls/certificate.hpp"
#include "tls/name_match.hpp"

namespace tls_checks::runner {

using plugin::State;

namespace {

constexpr double seconds_per_day = 86400.0;

// Sent certificates off the path are listed one by one up to this many; the rest are counted.
constexpr std::size_t max_listed_off_path = 4;

struct Element {
    X509* certificate = nullptr;
    tls::CertificateFacts facts;
    std::string role;     // "leaf", "intermediate 1", "anchor", or "sent certificate 3"
    bool leaf = false;    // the first element, the certificate the name and content checks are about
    bool sent = false;    // the server sent it (or the file holds it)
    bool anchor = false;  // the trust anchor that ends a verified path
    bool on_path = true;  // part of the (possibly partial) path
};

double days_left(const tls::CertificateFacts& facts, std::int64_t now) {
    return static_cast<double>(facts.not_after - now) / seconds_per_day;
}

double lifetime_days(const tls::CertificateFacts& facts) {
    return static_cast<double>(facts.not_after - facts.not_before) / seconds_per_day;
}

// "CN=localhost" for the leaf, "intermediate 1 CN=R11" for the others.
std::string element_name(const Element& element) {
    if (element.leaf) return tls::short_name(element.facts);
    return element.role + " " + tls::short_name(element.facts);
}

// "days_left" for the leaf, "days_left_intermediate1", "days_left_anchor".
std::string perfdata_label(const Element& element) {
    if (element.leaf) return "days_left";
    std::string label = "days_left_";
    for (const char c : element.role) {
        if (c != ' ') label += c;
    }
    return label;
}

// The path OpenSSL built, then (when it reached no anchor) whatever else was sent, so that an
// untrusted chain is still judged in full. Numbering is the path's: intermediate N is at depth N.
std::vector<Element> elements_to_judge(const std::vector<tls::X509Ptr>& sent, const tls::CertificationPath& path) {
    std::vector<Element> elements;
    const std::size_t length = path.certificates.size();
    for (std::size_t i = 0; i < length; ++i) {
        Element element;
        element.certificate = path.certificates[i].get();
        element.facts = tls::describe_certificate(element.certificate);
        element.sent = i == 0 || tls::contains_certificate(sent, element.certificate);
        element.anchor = path.anchored && i + 1 == length;
        element.leaf = i == 0;
        element.role = i == 0 ? "leaf" : element.anchor ? "anchor" : "intermediate " + std::to_string(i);
        elements.push_back(std::move(element));
    }
    for (std::size_t i = 1; i < sent.size(); ++i) {
        if (tls::contains_certificate(path.certificates, sent[i].get())) continue;
        Element element;
        element.certificate = sent[i].get();
        element.facts = tls::describe_certificate(element.certificate);
        element.sent = true;
        element.on_path = false;
        element.role = "sent certificate " + std::to_string(i);
        elements.push_back(std::move(element));
    }
    return elements;
}

// Findings about one element go through here, as the element's name and what is wrong with it.
// A certificate sent off an anchored path is never more than WARNING on its own: clients that
// build the path as OpenSSL did never use it, but clients that build paths differently (older
// ones, or ones with other roots) may.
// What is wrong with a certificate, for the one sentence about a certificate sent off the path.
enum class Defect { none, not_yet_valid, expired, expiring, weak };

class Judge {
public:
    Judge(plugin::Report& report, bool path_anchored) : report_(report), path_anchored_(path_anchored) {}

    void add(const Element& element, State state, const std::string& what, Defect defect) {
        if (!element.on_path && path_anchored_) {
            if (state != State::ok) off_path_problems_.push_back(OffPathProblem{&element, what, defect});
            return;
        }
        if (state == State::critical) chain_critical_ = true;
        report_.add(state, element_name(element) + " " + what);
    }

    // "sends a certificate that is not on the path: ...; clients that build paths differently
    // fail" as WARNING, the first few by name, the others counted.
    void report_off_path(const std::vector<Element>& elements) {
        std::size_t bad = 0;
        for (const auto& element : elements) {
            std::string problems;
            Defect first = Defect::none;
            for (const auto& problem : off_path_problems_) {
                if (problem.subject != &element) continue;
                problems += (problems.empty() ? "" : ", ") + problem.what;
                if (first == Defect::none) first = problem.defect;
            }
            if (problems.empty() || bad++ >= max_listed_off_path) continue;
            const char* kind = first == Defect::expired         ? "an expired"
                               : first == Defect::not_yet_valid ? "a not yet valid"
                               : first == Defect::expiring      ? "an expiring"
                                                                : "a weak";
            report_.add(State::warning, std::string("sends ") + kind + " certificate that is not on the path: " +
                                            tls::short_name(element.facts) + ", issued by " +
                                            issuer_name(element.facts) + " (" + problems +
                                            "); clients that build paths differently fail");
        }
        if (bad > max_listed_off_path) {
            report_.add(State::warning, "sends " + std::to_string(bad - max_listed_off_path) +
                                            " more bad certificates that are not on the path");
        }
    }

    [[nodiscard]] bool chain_critical() const noexcept { return chain_critical_; }

private:
    static std::string issuer_name(const tls::CertificateFacts& facts) {
        // The CN of the issuer when it has one ("CN=DST Root CA X3"), else the whole name.
        const auto position = facts.issuer.find("CN=");
        if (position == std::string::npos) return facts.issuer.empty() ? "(empty issuer)" : facts.issuer;
        const auto end = facts.issuer.find(',', position);
        return facts.issuer.substr(position, end == std::string::npos ? std::string::npos : end - position);
    }

    plugin::Report& report_;
    bool path_anchored_;
    bool chain_critical_ = false;
    struct OffPathProblem {
        const Element* subject;
        std::string what;
        Defect defect;
    };
    std::vector<OffPathProblem> off_path_problems_;
};

void judge_validity(Judge& judge, plugin::Report& report, const CertificatePolicy& policy, const Element& element,
                    std::int64_t now, bool with_perfdata) {
    const auto& facts = element.facts;
    const double left = days_left(facts, now);
    const double lifetime = lifetime_days(facts);
    const bool thresholds_apply = element.leaf || !policy.leaf_only;
    const plugin::Range warning = policy.warning.days_range(lifetime);
    const plugin::Range critical = policy.critical.days_range(lifetime);
    const auto seconds_left = static_cast<double>(facts.not_after - now);

    // RFC 5280 4.1.2.5: valid from notBefore to notAfter inclusive; outside that, clients refuse
    // it whatever the thresholds say, so --leaf-only never hides an expired intermediate.
    if (now < facts.not_before) {
        judge.add(element, State::critical, "is not yet valid (valid from " + plugin::utc_date(facts.not_before) + ")",
                  Defect::not_yet_valid);
    } else if (now > facts.not_after) {
        judge.add(element, State::critical,
                  "expired " + plugin::remaining_text(-seconds_left) + " ago (" + plugin::utc_date(facts.not_after) + ")",
                  Defect::expired);
    } else {
        State state = State::ok;
        if (thresholds_apply) state = critical.alerts(left) ? State::critical : warning.alerts(left) ? State::warning : State::ok;
        judge.add(element, state,
                  "expires in " + plugin::remaining_text(seconds_left) + " (" + plugin::utc_date(facts.not_after) + ")",
                  Defect::expiring);
    }

    if (!with_perfdata || !element.on_path || !thresholds_apply) return;
    plugin::Perfdata days;
    days.label = perfdata_label(element);
    days.value = left;
    days.decimals = 2;
    days.warning = warning;
    days.critical = critical;
    report.add_perfdata(std::move(days));
    if (!element.leaf) return;
    plugin::Perfdata life;
    life.label = "life_left";
    life.unit = plugin::Unit::percent;
    life.value = lifetime > 0 ? std::clamp(left / lifetime * 100.0, -100.0, 100.0) : 0.0;
    life.decimals = 1;
    life.warning = policy.warning.percent_range();
    life.critical = policy.critical.percent_range();
    report.add_perfdata(std::move(life));
}

void judge_strength(Judge& judge, const CertificatePolicy& policy, const Element& element, bool path_anchored) {
    const auto& facts = element.facts;
    // Nobody checks the signature on a trust anchor (RFC 5280 6.1: the anchor's key and name
    // start the path), so a SHA-1 self-signature on a root is not a weakness; its key is. Off a
    // verified path, or when no anchor was reached, a self-signed root is treated the same way.
    const bool signature_unchecked = element.anchor || (facts.self_signed && (!path_anchored || !element.on_path));
    if (facts.signature.weak_digest && !signature_unchecked)
        judge.add(element, State::critical, "has a weak signature (" + facts.signature.algorithm + ")", Defect::weak);
    const auto& key = facts.key;
    if ((key.type == "RSA" || key.type == "DSA") && key.bits < policy.min_key_bits) {
        judge.add(element, State::warning,
                  "has a weak " + key.type + " key (" + std::to_string(key.bits) + " bits < " +
                      std::to_string(policy.min_key_bits) + ")",
                  Defect::weak);
    } else if (key.type == "EC" && key.bits < policy.min_ec_key_bits) {
        judge.add(element, State::warning,
                  "has a weak EC key (" + std::to_string(key.bits) + " bits < " +
                      std::to_string(policy.min_ec_key_bits) + ")",
                  Defect::weak);
    }
}

// What a TLS client enforces on the leaf itself, beyond its dates and key size.
void judge_leaf_content(plugin::Report& report, const Element& leaf, KeyUse key_use) {
    const auto& facts = leaf.facts;
    const std::string name = tls::short_name(facts);
    // RFC 8446 4.4.2.2 and RFC 5280 4.2.1.3: a key that signs the handshake (TLS 1.3 always,
    // TLS 1.2 with ECDHE/DHE) needs digitalSignature when keyUsage is present. OpenSSL does not
    // enforce it; GnuTLS, BoringSSL (Chrome) and NSS refuse the handshake.
    if (facts.has_key_usage && (facts.key_usage & KU_DIGITAL_SIGNATURE) == 0) {
        if (key_use == KeyUse::signed_key_exchange) {
            report.add(State::critical, name + " has keyUsage without digitalSignature but signs the key exchange "
                                               "(RFC 8446 4.4.2.2): GnuTLS, Chrome and Firefox refuse it");
        } else if (key_use == KeyUse::unknown) {
            report.add(State::warning, name + " has keyUsage without digitalSignature: unusable with TLS 1.3 and "
                                              "ECDHE/DHE (RFC 8446 4.4.2.2)");
        }
    }
    // RFC 5280 4.2.1.9: cA TRUE marks a CA key; Firefox refuses a CA certificate as a server's
    // (MOZILLA_PKIX_ERROR_CA_CERT_USED_AS_END_ENTITY).
    if (facts.is_ca)
        report.add(State::warning, name + " is a CA certificate (basicConstraints CA:TRUE) used as the leaf");
    // DSA has no place in TLS 1.3 (RFC 8446 4.2.3) and GnuTLS and browsers refuse it.
    if (facts.key.type == "DSA")
        report.add(State::warning, name + " has a DSA key: no TLS 1.3, refused by GnuTLS and browsers");
}

void judge_name(plugin::Report& report, const CertificatePolicy& policy, const Element& leaf) {
    const auto& names = leaf.facts.names;
    // RFC 9525 6.3 (which obsoletes RFC 6125) no longer looks at the subject CN; Chrome, Go,
    // Rust and Apple's TLS stacks refuse a certificate whose names are only there.
    if (policy.purpose == tls::Purpose::tls_server && tls::names_only_in_common_name(names)) {
        report.add(State::warning, tls::short_name(leaf.facts) + " names its host only in the subject CN, without "
                                                                  "subjectAltName (RFC 9525): Chrome and Go refuse it");
    }
    if (!policy.reference_name) return;
    const auto& reference = *policy.reference_name;
    const auto match = tls::match_certificate_name(leaf.certificate, names, reference);
    if (match.matched()) {
        report.add_detail("name " + reference + " matches " + match.entry);
    } else {
        report.add(State::critical, "name mismatch: " + reference + " is not in " + tls::describe_names(names));
    }
}

std::string describe_element(const Element& element, std::int64_t now) {
    const auto& facts = element.facts;
    std::string key = facts.key.type + " " + std::to_string(facts.key.bits) + " bits";
    if (!facts.key.curve.empty()) key += " (" + facts.key.curve + ")";
    std::string origin;
    if (!element.on_path) origin = " (sent, not on the path)";
    else if (element.sent) origin = " (sent)";
    else origin = " (not sent, from the trust store)";
    return element.role + origin + ": subject: " + facts.subject + "; issuer: " + facts.issuer +
           "; not after: " + plugin::utc_date(facts.not_after) + " (" + plugin::format_decimal(days_left(facts, now), 2) +
           " days); key: " + key + "; signature: " + facts.signature.algorithm + "; serial: " + facts.serial +
           "; sha256: " + facts.sha256_fingerprint;
}

}  // namespace

Expected<tls::CertificationPath, std::string> judge_certificates(plugin::Report& report, const std::vector<tls::X509Ptr>& sent,
                                               const CertificatePolicy& policy, KeyUse key_use, std::int64_t now) {
    if (sent.empty()) return unexpected(std::string("no certificate"));
    auto built = tls::build_path(sent, policy.anchors, policy.purpose,
                                 policy.check_trust ? tls::StoreSearch::directory_then_bundle
                                                    : tls::StoreSearch::directory_only);
    if (!built) return unexpected(std::move(built.error()));
    tls::CertificationPath& path = *built;
    const auto elements = elements_to_judge(sent, path);
    const Element& leaf = elements.front();

    Judge judge(report, path.anchored);
    for (const auto& element : elements) judge_validity(judge, report, policy, element, now, element.on_path);
    for (const auto& element : elements) judge_strength(judge, policy, element, path.anchored);
    judge.report_off_path(elements);
    judge_leaf_content(report, leaf, key_use);
    judge_name(report, policy, leaf);

    // An intermediate the path needs but the server does not send: it was found in the local
    // store, which clients that hold only roots do not have (RFC 8446 4.4.2: the server sends
    // the chain; only the root may be left out).
    if (path.anchored) {
        for (const auto& element : elements) {
            if (element.on_path && !element.sent && !element.anchor) {
                report.add(State::warning, "server does not send " + element.role + " " +
                                               tls::short_name(element.facts) + " (found in the local trust store; "
                                               "clients that hold only roots fail)");
            }
        }
    }

    if (policy.check_trust) {
        for (const auto& problem : path.problems) {
            const std::size_t depth = static_cast<std::size_t>(std::max(problem.depth, 0));
            const std::string where =
                depth < elements.size() && elements[depth].on_path ? element_name(elements[depth]) : problem.subject;
            report.add(State::critical, "untrusted: " + problem.reason + " (" + where + ")");
        }
        if (path.verified() && !judge.chain_critical()) {
            report.add_detail("chain is trusted: path of " + std::to_string(path.certificates.size()) +
                              " to anchor " + tls::short_name(elements[path.certificates.size() - 1].facts));
        }
    } else {
        report.add_detail("trust not checked (--ignore-trust)");
    }

    // OK summary: the leaf, and the path element that expires first when that is not the leaf.
    const Element* soonest = &leaf;
    if (!policy.leaf_only) {
        for (const auto& element : elements) {
            if (element.on_path && element.facts.not_after < soonest->facts.not_after) soonest = &element;
        }
    }
    std::string ok = tls::short_name(leaf.facts) + " expires in " +
                     plugin::remaining_text(static_cast<double>(leaf.facts.not_after - now)) + " (" +
                     plugin::utc_date(leaf.facts.not_after) + ")";
    if (soonest != &leaf) {
        ok += "; " + element_name(*soonest) + " expires first, in " +
              plugin::remaining_text(static_cast<double>(soonest->facts.not_after - now));
    }
    report.set_ok_summary(ok);
    for (const auto& element : elements) report.add_detail(describe_element(element, now));
    return std::move(path);
}

std::optional<plugin::Finding> judge_agreement(const std::string& name, const std::vector<ServedLeaf>& leaves) {
    // The distinct leaves, in the order of the addresses, each with the addresses serving it.
    std::vector<std::pair<const tls::CertificateFacts*, std::vector<std::string>>> distinct;
    for (const auto& leaf : leaves) {
        auto same = std::find_if(distinct.begin(), distinct.end(), [&](const auto& seen) {
            return seen.first->sha256_fingerprint == leaf.facts.sha256_fingerprint;
        });
        if (same == distinct.end()) distinct.push_back({&leaf.facts, {leaf.where}});
        else same->second.push_back(leaf.where);
    }
    if (distinct.size() < 2) return std::nullopt;
    std::string text = "addresses of " + name + " disagree:";
    for (std::size_t i = 0; i < distinct.size(); ++i) {
        const auto& [facts, where] = distinct[i];
        std::string addresses;
        for (std::size_t j = 0; j < where.size(); ++j)
            addresses += (j == 0 ? "" : j + 1 == where.size() ? " and " : ", ") + where[j];
        text += std::string(i == 0 ? " " : "; ") + addresses + (where.size() == 1 ? " serves" : " serve") + " serial " +
                facts->serial + " (valid until " + plugin::utc_date(facts->not_after) + ")";
    }
    return plugin::Finding{State::warning, std::move(text)};
}

}  // namespace tls_checks::runner
