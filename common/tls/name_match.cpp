#include "tls/name_match.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace tls_checks::tls {

namespace {

std::string_view strip_trailing_dot(std::string_view name) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    return name;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
               return lower(x) == lower(y);
           });
}

bool is_a_label(std::string_view label) {
    return label.size() >= 4 && iequals(label.substr(0, 4), "xn--");
}

// Only letters, digits, '-' and '.' (and '*' where the caller allows it) belong in a DNS
// identifier; anything else (NUL, space, '/') makes it unusable for matching.
bool plausible_dns_name(std::string_view name, bool allow_star) {
    if (name.empty() || name.size() > 253) return false;
    return std::all_of(name.begin(), name.end(), [allow_star](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
               c == '_' || (allow_star && c == '*');
    });
}

std::vector<std::string_view> labels(std::string_view name) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (;;) {
        const auto dot = name.find('.', start);
        out.push_back(name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return out;
}

std::vector<std::uint8_t> ip_bytes(std::string_view literal) {
    std::array<char, 64> copy{};
    if (literal.size() >= copy.size()) return {};
    std::memcpy(copy.data(), literal.data(), literal.size());
    std::array<std::uint8_t, 16> binary{};
    if (inet_pton(AF_INET, copy.data(), binary.data()) == 1) return {binary.begin(), binary.begin() + 4};
    if (inet_pton(AF_INET6, copy.data(), binary.data()) == 1) return {binary.begin(), binary.end()};
    return {};
}

std::string ip_text(const std::vector<std::uint8_t>& bytes) {
    std::array<char, INET6_ADDRSTRLEN> text{};
    const int family = bytes.size() == 4 ? AF_INET : bytes.size() == 16 ? AF_INET6 : 0;
    if (family == 0 || inet_ntop(family, bytes.data(), text.data(), text.size()) == nullptr) return "(invalid)";
    return text.data();
}

}  // namespace

bool dns_name_matches(std::string_view presented, std::string_view reference) {
    presented = strip_trailing_dot(presented);
    reference = strip_trailing_dot(reference);
    if (!plausible_dns_name(presented, true) || !plausible_dns_name(reference, false)) return false;

    const auto presented_labels = labels(presented);
    const auto reference_labels = labels(reference);
    if (presented_labels.size() != reference_labels.size()) return false;
    if (std::any_of(reference_labels.begin(), reference_labels.end(), [](auto l) { return l.empty(); })) return false;

    for (std::size_t i = 0; i < presented_labels.size(); ++i) {
        const auto label = presented_labels[i];
        if (label.empty()) return false;
        if (label.find('*') == std::string_view::npos) {
            if (!iequals(label, reference_labels[i])) return false;
            continue;
        }
        // RFC 6125 6.4.3 lets clients refuse partial wildcards; we do, as browsers do, and
        // accept "*" only as the whole left-most label with two or more labels after it.
        if (i != 0 || label != "*" || presented_labels.size() < 3) return false;
        // A wildcard must not stand for an internationalized label (RFC 6125 6.4.3, last rule).
        if (is_a_label(reference_labels[0])) return false;
    }
    return true;
}

NameMatch match_certificate_name(const CertificateNames& names, std::string_view reference) {
    const auto reference_ip = ip_bytes(reference);
    if (!reference_ip.empty()) {
        for (const auto& address : names.ip_addresses) {
            if (address == reference_ip) return NameMatch{MatchedBy::ip_address, "IP:" + ip_text(address)};
        }
        return {};
    }
    for (const auto& dns : names.dns_names) {
        if (dns.find('\0') != std::string::npos) continue;  // an embedded NUL is an attack, not a name
        if (dns_name_matches(dns, reference)) {
            const bool wildcard = dns.find('*') != std::string::npos;
            return NameMatch{wildcard ? MatchedBy::wildcard_dns_name : MatchedBy::dns_name, "DNS:" + dns};
        }
    }
    if (!names.has_subject_alt_name) {
        for (const auto& common_name : names.common_names) {
            if (common_name.find('\0') == std::string::npos && dns_name_matches(common_name, reference))
                return NameMatch{MatchedBy::common_name, "CN=" + common_name};
        }
    }
    return {};
}

std::string describe_names(const CertificateNames& names) {
    std::string out;
    const auto add = [&out](const std::string& item) {
        if (!out.empty()) out += ", ";
        out += item;
    };
    for (const auto& dns : names.dns_names) add("DNS:" + dns);
    for (const auto& address : names.ip_addresses) add("IP:" + ip_text(address));
    if (!names.has_subject_alt_name) {
        for (const auto& common_name : names.common_names) add("CN=" + common_name);
    }
    return out.empty() ? "no names" : out;
}

}  // namespace tls_checks::tls
