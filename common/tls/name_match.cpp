#include "tls/name_match.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>

#include "net/resolve.hpp"

namespace tls_checks::tls {

namespace {

std::string ip_text(const std::vector<std::uint8_t>& bytes) {
    std::array<char, INET6_ADDRSTRLEN> text{};
    const int family = bytes.size() == 4 ? AF_INET : bytes.size() == 16 ? AF_INET6 : 0;
    if (family == 0 || inet_ntop(family, bytes.data(), text.data(), text.size()) == nullptr) return "(invalid)";
    return text.data();
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
               return lower(x) == lower(y);
           });
}

// Flags, and why:
// - NO_PARTIAL_WILDCARDS: "f*.example.org" never matches (RFC 6125 6.4.3 lets clients refuse
//   them; browsers do, and the CA/Browser Forum BR 7.1.2.7.12 allows only a whole-label "*").
// - OpenSSL itself allows "*" only as the whole left-most label with at least two labels after
//   it, so "*.org" or "*" never match a registrable domain; it lets "*" stand for an A-label
//   ("*.example.org" matches "xn--bcher-kva.example.org": RFC 6125 6.4.3 forbids only a
//   wildcard inside an A-label), and refuses a wildcard that would match across a dot.
// - No ALWAYS_CHECK_SUBJECT / NEVER_CHECK_SUBJECT: the subject CN is consulted only when the
//   certificate has no dNSName, as RFC 6125 6.4.4 says; that such a certificate is refused by
//   modern clients is judged separately (names_only_in_common_name).
constexpr unsigned int host_check_flags = X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS;

}  // namespace

NameMatch match_certificate_name(X509* certificate, const CertificateNames& names, std::string_view reference) {
    const std::string name(reference);
    if (name.empty() || name.find('\0') != std::string::npos) return {};
    if (net::is_ip_literal(name)) {
        if (X509_check_ip_asc(certificate, name.c_str(), 0) != 1) return {};
        // Report the entry in its canonical text ("::1" for "0:0:0:0:0:0:0:1").
        std::array<std::uint8_t, 16> binary{};
        const bool v4 = inet_pton(AF_INET, name.c_str(), binary.data()) == 1;
        if (!v4 && inet_pton(AF_INET6, name.c_str(), binary.data()) != 1) return {};
        const std::vector<std::uint8_t> bytes(binary.begin(), binary.begin() + (v4 ? 4 : 16));
        return NameMatch{MatchedBy::ip_address, "IP:" + ip_text(bytes)};
    }
    char* peer_name = nullptr;
    if (X509_check_host(certificate, name.data(), name.size(), host_check_flags, &peer_name) != 1) return {};
    const std::string matched = peer_name != nullptr ? peer_name : name;
    OPENSSL_free(peer_name);
    // X509_check_host gives the certificate's own entry that matched; it came from a dNSName
    // unless the certificate has none.
    const bool from_san = std::any_of(names.dns_names.begin(), names.dns_names.end(),
                                      [&](const std::string& dns) { return iequals(dns, matched); });
    if (from_san) return NameMatch{MatchedBy::dns_name, "DNS:" + matched};
    return NameMatch{MatchedBy::common_name, "CN=" + matched};
}

bool names_only_in_common_name(const CertificateNames& names) noexcept {
    return names.dns_names.empty() && names.ip_addresses.empty() && !names.common_names.empty();
}

std::string describe_names(const CertificateNames& names) {
    std::string out;
    const auto add = [&out](const std::string& item) {
        if (!out.empty()) out += ", ";
        out += item;
    };
    for (const auto& dns : names.dns_names) add("DNS:" + dns);
    for (const auto& address : names.ip_addresses) add("IP:" + ip_text(address));
    if (names.dns_names.empty()) {
        for (const auto& common_name : names.common_names) add("CN=" + common_name);
    }
    return out.empty() ? "no names" : out;
}

std::string first_alt_name(const CertificateNames& names) {
    if (!names.dns_names.empty()) return "DNS:" + names.dns_names.front();
    if (!names.ip_addresses.empty()) return "IP:" + ip_text(names.ip_addresses.front());
    return "";
}

}  // namespace tls_checks::tls
