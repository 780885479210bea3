#pragma once
// Does a certificate belong to the name the user checks? RFC 6125 (section 6), with the
// wildcard rules the CA/Browser Forum baseline requirements and browsers apply.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tls_checks::tls {

struct CertificateNames {
    bool has_subject_alt_name = false;
    std::vector<std::string> dns_names;                  // dNSName entries, as encoded (IA5)
    std::vector<std::vector<std::uint8_t>> ip_addresses; // iPAddress entries, 4 or 16 bytes
    std::vector<std::string> common_names;               // subject CNs, in order
};

enum class MatchedBy { none, dns_name, wildcard_dns_name, ip_address, common_name };

struct NameMatch {
    MatchedBy matched_by = MatchedBy::none;
    std::string entry;  // the certificate entry that matched ("DNS:*.example.org")

    [[nodiscard]] bool matched() const noexcept { return matched_by != MatchedBy::none; }
};

// One presented DNS identifier against one reference name, both in A-label (ASCII) form.
// Case-insensitive; one trailing dot ignored on either side. A wildcard is accepted only as the
// whole left-most label ("*.example.org"), matches exactly one label, needs at least two labels
// after it, and never matches an A-label ("xn--...") or an empty label. A partial wildcard
// ("f*.example.org") or a wildcard in another label never matches.
bool dns_name_matches(std::string_view presented, std::string_view reference);

// The reference name (a DNS name or an IPv4/IPv6 literal) against every identifier of a
// certificate. IP literals match only iPAddress entries. The subject CN is consulted only when
// the certificate has no subjectAltName extension at all (RFC 6125, section 6.4.4).
NameMatch match_certificate_name(const CertificateNames& names, std::string_view reference);

// "DNS:a.example, DNS:b.example, IP:192.0.2.1" (or "CN=..." when there is no SAN), for messages.
std::string describe_names(const CertificateNames& names);

}  // namespace tls_checks::tls
