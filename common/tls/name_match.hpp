#pragma once
// Does a certificate belong to the name the user checks? Decided by OpenSSL's X509_check_host /
// X509_check_ip (RFC 6125 section 6, RFC 9525), not by hand: the same code the clients run.

#include <openssl/x509.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tls_checks::tls {

// The identifiers of a certificate, read once, for messages ("DNS:a.example, IP:192.0.2.1").
struct CertificateNames {
    bool has_subject_alt_name = false;
    std::vector<std::string> dns_names;                  // dNSName entries, as encoded (IA5)
    std::vector<std::vector<std::uint8_t>> ip_addresses; // iPAddress entries, 4 or 16 bytes
    std::vector<std::string> common_names;               // subject CNs, in order
};

enum class MatchedBy { none, dns_name, ip_address, common_name };

struct NameMatch {
    MatchedBy matched_by = MatchedBy::none;
    std::string entry;  // the certificate entry that matched ("DNS:*.example.org", "CN=legacy.example")

    [[nodiscard]] bool matched() const noexcept { return matched_by != MatchedBy::none; }
};

// The reference name (an A-label DNS name without trailing dot, or an IPv4/IPv6 literal) against
// `certificate`. IP literals match only iPAddress entries. `names` are the certificate's own
// identifiers (from describe_certificate) and only tell which entry matched.
NameMatch match_certificate_name(X509* certificate, const CertificateNames& names, std::string_view reference);

// True when the certificate names its host only in the subject CN: no dNSName and no iPAddress
// in a subjectAltName. RFC 9525 section 6.3 removed the CN fallback; Chrome, Go and most TLS
// stacks refuse such a certificate.
bool names_only_in_common_name(const CertificateNames& names) noexcept;

// "DNS:a.example, DNS:b.example, IP:192.0.2.1" (or "CN=..." when there is no SAN), for messages.
std::string describe_names(const CertificateNames& names);

// "DNS:a.example" / "IP:192.0.2.1": the first subjectAltName entry, or empty.
std::string first_alt_name(const CertificateNames& names);

}  // namespace tls_checks::tls
