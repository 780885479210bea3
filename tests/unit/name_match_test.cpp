// RFC 6125 name matching: exact names, wildcards, IDN A-labels, IP SANs, CN fallback.

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "tls/name_match.hpp"

using namespace tls_checks::tls;

namespace {

CertificateNames san(std::vector<std::string> dns, std::vector<std::vector<std::uint8_t>> ips = {},
                     std::vector<std::string> cns = {}) {
    CertificateNames names;
    names.has_subject_alt_name = true;
    names.dns_names = std::move(dns);
    names.ip_addresses = std::move(ips);
    names.common_names = std::move(cns);
    return names;
}

CertificateNames cn_only(std::string cn) {
    CertificateNames names;
    names.common_names = {std::move(cn)};
    return names;
}

}  // namespace

BOOST_AUTO_TEST_CASE(exact_names_match_case_insensitively_and_ignore_one_trailing_dot) {
    BOOST_TEST(dns_name_matches("www.example.org", "www.example.org"));
    BOOST_TEST(dns_name_matches("WWW.Example.ORG", "www.example.org"));
    BOOST_TEST(dns_name_matches("www.example.org.", "www.example.org"));
    BOOST_TEST(dns_name_matches("www.example.org", "www.example.org."));
    BOOST_TEST(!dns_name_matches("www.example.org", "example.org"));
    BOOST_TEST(!dns_name_matches("example.org", "www.example.org"));
    BOOST_TEST(!dns_name_matches("www.example.org", "www.example.org.evil"));
}

BOOST_AUTO_TEST_CASE(wildcard_matches_exactly_one_leftmost_label) {
    BOOST_TEST(dns_name_matches("*.example.org", "www.example.org"));
    BOOST_TEST(dns_name_matches("*.example.org", "MAIL.example.org"));
    BOOST_TEST(!dns_name_matches("*.example.org", "example.org"));
    BOOST_TEST(!dns_name_matches("*.example.org", "a.b.example.org"));
    BOOST_TEST(!dns_name_matches("*.example.org", ".example.org"));
}

BOOST_AUTO_TEST_CASE(partial_nested_and_too_broad_wildcards_never_match) {
    BOOST_TEST(!dns_name_matches("w*.example.org", "www.example.org"));
    BOOST_TEST(!dns_name_matches("*w.example.org", "www.example.org"));
    BOOST_TEST(!dns_name_matches("www.*.org", "www.example.org"));
    BOOST_TEST(!dns_name_matches("*.*.org", "www.example.org"));
    BOOST_TEST(!dns_name_matches("*.org", "example.org"));
    BOOST_TEST(!dns_name_matches("*", "localhost"));
}

BOOST_AUTO_TEST_CASE(idn_a_labels_match_exactly_but_never_through_a_wildcard) {
    // bücher.example in A-label form
    BOOST_TEST(dns_name_matches("xn--bcher-kva.example", "xn--bcher-kva.example"));
    BOOST_TEST(dns_name_matches("XN--BCHER-KVA.example", "xn--bcher-kva.example"));
    BOOST_TEST(!dns_name_matches("*.example", "xn--bcher-kva.example"));
    BOOST_TEST(dns_name_matches("*.xn--bcher-kva.example", "www.xn--bcher-kva.example"));
    // U-labels are not A-labels: raw UTF-8 never matches.
    BOOST_TEST(!dns_name_matches("xn--bcher-kva.example", "b\xc3\xbc" "cher.example"));
}

BOOST_AUTO_TEST_CASE(names_with_illegal_characters_never_match) {
    BOOST_TEST(!dns_name_matches(std::string("www.example.org\0.evil", 21), "www.example.org"));
    BOOST_TEST(!dns_name_matches("www example.org", "www example.org"));
    BOOST_TEST(!dns_name_matches("", ""));
    BOOST_TEST(!dns_name_matches("a..example.org", "a..example.org"));
}

BOOST_AUTO_TEST_CASE(ip_reference_matches_only_ip_sans) {
    const auto names = san({"127.0.0.1"}, {{127, 0, 0, 1}});
    const auto match = match_certificate_name(names, "127.0.0.1");
    BOOST_TEST(match.matched());
    BOOST_TEST(match.entry == "IP:127.0.0.1");
    BOOST_TEST(static_cast<int>(match.matched_by) == static_cast<int>(MatchedBy::ip_address));

    // A DNS SAN spelled like an IP address is not an IP identity.
    BOOST_TEST(!match_certificate_name(san({"127.0.0.1"}), "127.0.0.1").matched());
    BOOST_TEST(!match_certificate_name(names, "127.0.0.2").matched());
}

BOOST_AUTO_TEST_CASE(ipv6_reference_matches_its_16_byte_san_in_any_spelling) {
    std::vector<std::uint8_t> loopback(16, 0);
    loopback[15] = 1;
    const auto names = san({}, {loopback});
    BOOST_TEST(match_certificate_name(names, "::1").matched());
    BOOST_TEST(match_certificate_name(names, "0:0:0:0:0:0:0:1").matched());
    BOOST_TEST(!match_certificate_name(names, "127.0.0.1").matched());
}

BOOST_AUTO_TEST_CASE(common_name_is_used_only_when_there_is_no_san_extension) {
    BOOST_TEST(match_certificate_name(cn_only("legacy.example.org"), "legacy.example.org").matched());
    BOOST_TEST(static_cast<int>(match_certificate_name(cn_only("legacy.example.org"), "legacy.example.org").matched_by) ==
               static_cast<int>(MatchedBy::common_name));
    // The SAN extension exists (with another name): the CN must be ignored.
    BOOST_TEST(!match_certificate_name(san({"other.example.org"}, {}, {"legacy.example.org"}), "legacy.example.org")
                    .matched());
    // Even an SAN extension holding only IP addresses switches the CN off.
    BOOST_TEST(!match_certificate_name(san({}, {{192, 0, 2, 1}}, {"legacy.example.org"}), "legacy.example.org")
                    .matched());
}

BOOST_AUTO_TEST_CASE(wildcard_san_match_says_which_entry_matched) {
    const auto match = match_certificate_name(san({"example.org", "*.example.org"}), "mx.example.org");
    BOOST_TEST(match.matched());
    BOOST_TEST(match.entry == "DNS:*.example.org");
    BOOST_TEST(static_cast<int>(match.matched_by) == static_cast<int>(MatchedBy::wildcard_dns_name));
}

BOOST_AUTO_TEST_CASE(describe_names_lists_san_entries_or_the_cn) {
    BOOST_TEST(describe_names(san({"a.example", "b.example"}, {{192, 0, 2, 1}})) ==
               "DNS:a.example, DNS:b.example, IP:192.0.2.1");
    BOOST_TEST(describe_names(cn_only("x.example")) == "CN=x.example");
    BOOST_TEST(describe_names(CertificateNames{}) == "no names");
}
