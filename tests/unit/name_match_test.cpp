// Name matching through OpenSSL's X509_check_host / X509_check_ip with the flags we chose:
// exact names, whole-label wildcards over A-labels, no partial wildcards, IP SANs, CN fallback.

#include <boost/test/unit_test.hpp>

#include <openssl/x509v3.h>

#include <string>
#include <vector>

#include "tls/certificate.hpp"
#include "tls/name_match.hpp"
#include "tls/ossl.hpp"

using namespace tls_checks::tls;

namespace {

// A certificate with the given CN (none when empty) and subjectAltName ("DNS:a, IP:1.2.3.4";
// none when empty). Signed by a throwaway key: only its names matter here.
X509Ptr certificate(const std::string& common_name, const std::string& alt_names) {
    static EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    X509Ptr cert(X509_new());
    X509_set_version(cert.get(), X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
    X509_NAME* name = X509_get_subject_name(cert.get());
    if (!common_name.empty()) {
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(common_name.c_str()),
                                   -1, -1, 0);
    }
    X509_set_issuer_name(cert.get(), name);
    X509_set_pubkey(cert.get(), key.get());
    if (!alt_names.empty()) {
        X509V3_CTX context;
        X509V3_set_ctx_nodb(&context);
        X509V3_set_ctx(&context, cert.get(), cert.get(), nullptr, nullptr, 0);
        X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, NID_subject_alt_name, alt_names.c_str());
        BOOST_REQUIRE(extension != nullptr);
        X509_add_ext(cert.get(), extension, -1);
        X509_EXTENSION_free(extension);
    }
    BOOST_REQUIRE(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0);
    return cert;
}

NameMatch match(const std::string& common_name, const std::string& alt_names, const std::string& reference) {
    auto cert = certificate(common_name, alt_names);
    return match_certificate_name(cert.get(), describe_certificate(cert.get()).names, reference);
}

bool matches(const std::string& alt_names, const std::string& reference) {
    return match("", alt_names, reference).matched();
}

}  // namespace

BOOST_AUTO_TEST_CASE(exact_dns_names_match_case_insensitively) {
    BOOST_TEST(matches("DNS:www.example.org", "www.example.org"));
    BOOST_TEST(matches("DNS:WWW.Example.ORG", "www.example.org"));
    BOOST_TEST(!matches("DNS:www.example.org", "example.org"));
    BOOST_TEST(!matches("DNS:example.org", "www.example.org"));
    BOOST_TEST(!matches("DNS:www.example.org", "www.example.org.evil"));
}

BOOST_AUTO_TEST_CASE(wildcard_matches_exactly_one_whole_left_most_label) {
    BOOST_TEST(matches("DNS:*.example.org", "www.example.org"));
    BOOST_TEST(matches("DNS:*.example.org", "MAIL.example.org"));
    BOOST_TEST(!matches("DNS:*.example.org", "example.org"));
    BOOST_TEST(!matches("DNS:*.example.org", "a.b.example.org"));
}

BOOST_AUTO_TEST_CASE(partial_and_misplaced_wildcards_never_match) {
    BOOST_TEST(!matches("DNS:w*.example.org", "www.example.org"));
    BOOST_TEST(!matches("DNS:*w.example.org", "www.example.org"));
    BOOST_TEST(!matches("DNS:www.*.org", "www.example.org"));
    BOOST_TEST(!matches("DNS:*.*.org", "www.example.org"));
}

BOOST_AUTO_TEST_CASE(wildcard_over_a_single_label_suffix_never_matches) {
    BOOST_TEST(!matches("DNS:*.org", "example.org"));
    BOOST_TEST(!matches("DNS:*", "localhost"));
}

BOOST_AUTO_TEST_CASE(whole_label_wildcard_matches_an_a_label_as_rfc_6125_allows) {
    BOOST_TEST(matches("DNS:*.example.org", "xn--bcher-kva.example.org"));
    BOOST_TEST(matches("DNS:xn--bcher-kva.example", "xn--bcher-kva.example"));
    BOOST_TEST(matches("DNS:*.xn--bcher-kva.example", "www.xn--bcher-kva.example"));
    // a wildcard inside an A-label is what RFC 6125 6.4.3 forbids
    BOOST_TEST(!matches("DNS:xn--*.example.org", "xn--bcher-kva.example.org"));
}

BOOST_AUTO_TEST_CASE(matched_entry_names_the_san_that_matched) {
    const auto result = match("", "DNS:example.org, DNS:*.example.org", "mx.example.org");
    BOOST_TEST(result.matched());
    BOOST_TEST(result.entry == "DNS:*.example.org");
    BOOST_TEST(static_cast<int>(result.matched_by) == static_cast<int>(MatchedBy::dns_name));
}

BOOST_AUTO_TEST_CASE(ip_literals_match_ip_sans_only) {
    const auto result = match("", "DNS:127.0.0.1, IP:192.0.2.1", "192.0.2.1");
    BOOST_TEST(result.matched());
    BOOST_TEST(result.entry == "IP:192.0.2.1");
    BOOST_TEST(!matches("DNS:127.0.0.1", "127.0.0.1"));
    BOOST_TEST(!matches("IP:192.0.2.1", "192.0.2.2"));
}

BOOST_AUTO_TEST_CASE(ipv6_literals_match_in_any_spelling) {
    BOOST_TEST(match("", "IP:::1", "::1").entry == "IP:::1");
    BOOST_TEST(matches("IP:::1", "0:0:0:0:0:0:0:1"));
    BOOST_TEST(!matches("IP:::1", "127.0.0.1"));
}

BOOST_AUTO_TEST_CASE(common_name_counts_only_without_dns_sans) {
    const auto by_cn = match("legacy.example.org", "", "legacy.example.org");
    BOOST_TEST(static_cast<int>(by_cn.matched_by) == static_cast<int>(MatchedBy::common_name));
    BOOST_TEST(by_cn.entry == "CN=legacy.example.org");
    BOOST_TEST(!match("legacy.example.org", "DNS:other.example.org", "legacy.example.org").matched());
}

BOOST_AUTO_TEST_CASE(names_only_in_the_common_name_are_told_apart) {
    auto cn_only = certificate("legacy.example.org", "");
    BOOST_TEST(names_only_in_common_name(describe_certificate(cn_only.get()).names));
    auto with_san = certificate("legacy.example.org", "DNS:legacy.example.org");
    BOOST_TEST(!names_only_in_common_name(describe_certificate(with_san.get()).names));
}

BOOST_AUTO_TEST_CASE(empty_or_nul_reference_never_matches) {
    BOOST_TEST(!matches("DNS:www.example.org", ""));
    BOOST_TEST(!matches("DNS:www.example.org", std::string("www.example.org\0.evil", 21)));
}

BOOST_AUTO_TEST_CASE(describe_names_lists_san_entries_or_the_cn) {
    auto both = certificate("x.example", "DNS:a.example, DNS:b.example, IP:192.0.2.1");
    BOOST_TEST(describe_names(describe_certificate(both.get()).names) ==
               "DNS:a.example, DNS:b.example, IP:192.0.2.1");
    auto cn_only = certificate("x.example", "");
    BOOST_TEST(describe_names(describe_certificate(cn_only.get()).names) == "CN=x.example");
    BOOST_TEST(describe_names(CertificateNames{}) == "no names");
}

BOOST_AUTO_TEST_CASE(short_name_falls_back_to_the_first_san_then_the_serial) {
    auto san_only = certificate("", "DNS:www.example.org, DNS:example.org");
    BOOST_TEST(short_name(describe_certificate(san_only.get())) == "DNS:www.example.org");
    auto nameless = certificate("", "");
    BOOST_TEST(short_name(describe_certificate(nameless.get())) == "serial 01");
}
