// Host names for SNI, name matching and DNS: trailing dot, IP literals, U-labels to A-labels.

#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>

#include "net/host_name.hpp"

using namespace tls_checks::net;
using namespace std::string_literals;

namespace {

std::string normalized(std::string_view name) {
    auto result = normalize_host_name(name);
    // Boost builds the message whatever the outcome: it must not touch the absent side.
    BOOST_REQUIRE_MESSAGE(result.has_value(), "unexpected error: " << (result ? "" : result.error().message));
    return *result;
}

std::string error_of(std::string_view name) {
    auto result = normalize_host_name(name);
    BOOST_REQUIRE_MESSAGE(!result.has_value(), "unexpectedly accepted as " << (result ? *result : ""));
    return result.error().message;
}

}  // namespace

BOOST_AUTO_TEST_CASE(one_trailing_dot_is_removed) {
    BOOST_TEST(normalized("example.org.") == "example.org");
    BOOST_TEST(normalized("localhost.") == "localhost");
}

BOOST_AUTO_TEST_CASE(ascii_names_are_returned_untouched) {
    BOOST_TEST(normalized("example.org") == "example.org");
    BOOST_TEST(normalized("WWW.Example.ORG") == "WWW.Example.ORG");
    BOOST_TEST(normalized("xn--bcher-kva.example") == "xn--bcher-kva.example");
    BOOST_TEST(normalized("_25._tcp.mail.example") == "_25._tcp.mail.example");
}

BOOST_AUTO_TEST_CASE(ip_literals_are_returned_untouched) {
    BOOST_TEST(normalized("192.0.2.1") == "192.0.2.1");
    BOOST_TEST(normalized("2001:db8::1") == "2001:db8::1");
    BOOST_TEST(normalized("::ffff:192.0.2.1") == "::ffff:192.0.2.1");
    BOOST_TEST(normalized("::") == "::");
}

BOOST_AUTO_TEST_CASE(u_label_becomes_its_a_label) {
    BOOST_TEST(normalized("bücher.example") == "xn--bcher-kva.example");
    BOOST_TEST(normalized("bücher.example.") == "xn--bcher-kva.example");
    BOOST_TEST(normalized("www.bücher.example") == "www.xn--bcher-kva.example");
}

BOOST_AUTO_TEST_CASE(mixed_case_u_label_is_mapped_to_lower_case_a_label) {
    BOOST_TEST(normalized("Bücher.Example") == "xn--bcher-kva.example");
    BOOST_TEST(normalized("BÜCHER.EXAMPLE") == "xn--bcher-kva.example");
}

BOOST_AUTO_TEST_CASE(decomposed_u_label_is_nfc_normalized_first) {
    // "u" followed by U+0308 COMBINING DIAERESIS is the same name as "ü".
    BOOST_TEST(normalized("bu\xcc\x88" "cher.example") == "xn--bcher-kva.example");
}

BOOST_AUTO_TEST_CASE(sharp_s_stays_itself_under_idna2008) {
    // Non-transitional (UTS #46 §4): IDNA2003 would have made this "strasse.example".
    BOOST_TEST(normalized("straße.example") == "xn--strae-oqa.example");
}

// The reasons are idn2_strerror()'s, unchanged since libidn2 2.0.

BOOST_AUTO_TEST_CASE(invalid_utf8_is_rejected_with_the_reason) {
    BOOST_TEST(error_of("b\xff" "cher.example") == "cannot convert 'b\xff" "cher.example' to an A-label: string encoding error");
}

BOOST_AUTO_TEST_CASE(disallowed_code_point_is_rejected_with_the_reason) {
    // U+2665 BLACK HEART SUIT is DISALLOWED in IDNA2008 (RFC 5892).
    BOOST_TEST(error_of("i\xe2\x99\xa5.example") ==
               "cannot convert 'i\xe2\x99\xa5.example' to an A-label: string contains a disallowed character");
}

BOOST_AUTO_TEST_CASE(u_label_too_long_for_a_label_is_rejected_with_the_reason) {
    // Its A-label would exceed a label's 63 octets (RFC 1035 §2.3.4).
    const std::string name = std::string(70, 'a') + "ü.example";
    BOOST_TEST(error_of(name) == "cannot convert '" + name + "' to an A-label: punycode encoded data will be too large");
}

BOOST_AUTO_TEST_CASE(u_label_name_too_long_for_dns_is_rejected_with_the_reason) {
    std::string name;
    for (int i = 0; i < 5; ++i) name += "ü" + std::string(50, 'a') + ".";
    name += "example";
    BOOST_TEST(error_of(name) == "cannot convert '" + name + "' to an A-label: domain name longer than 255 characters");
}

BOOST_AUTO_TEST_CASE(root_alone_and_empty_labels_are_rejected) {
    BOOST_TEST(error_of(".") == "'.' is not a host name: it has no label");
    BOOST_TEST(error_of("") == "'' is not a host name: it has no label");
    BOOST_TEST(error_of("..") == "'..' is not a host name: it ends in an empty label");
    BOOST_TEST(error_of("example.org..") == "'example.org..' is not a host name: it ends in an empty label");
}

BOOST_AUTO_TEST_CASE(name_with_a_nul_byte_is_rejected) {
    BOOST_TEST(error_of("example.org\0.evil"s) == "'example.org\0.evil' is not a host name: it contains a NUL byte"s);
}

BOOST_AUTO_TEST_CASE(missing_libidn2_is_an_error_for_u_labels_only) {
    const char* missing = "libidn2-not-installed.so.0";
    auto ascii = detail::normalize_host_name_with("example.org.", missing);
    BOOST_REQUIRE(ascii.has_value());
    BOOST_TEST(*ascii == "example.org");
    auto u_label = detail::normalize_host_name_with("bücher.example", missing);
    BOOST_REQUIRE(!u_label.has_value());
    BOOST_TEST(u_label.error().message.rfind("cannot convert 'bücher.example' to an A-label: libidn2 is not available (", 0) == 0,
               u_label.error().message);
    BOOST_TEST(u_label.error().message.find(missing) != std::string::npos, u_label.error().message);
}
