// The mail-policy texts (mail/policy.hpp): MTA-STS TXT records and policy files (RFC 8461), TLS-RPT
// TXT records (RFC 8460), choosing the one versioned record among several TXT records, and mx
// pattern matching (RFC 8461 4.1). Errors are checked by their exact message.

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "mail/policy.hpp"

using namespace tls_checks;
using namespace tls_checks::mail;

namespace {

const std::string rfc_policy =
    "version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\nmx: backupmx.example.com\nmax_age: 604800\n";

// The error's message, or "(parsed)" when there was none.
template <class T>
std::string message_of(const Expected<T, ParseError>& result) {
    return result.has_value() ? std::string("(parsed)") : result.error().message;
}

// The error's message, for a failed check (Boost streams the message even when the check passes).
template <class T>
std::string why(const Expected<T, ParseError>& result) {
    return result.has_value() ? std::string() : result.error().message;
}

std::string policy_error(const std::string& body) { return message_of(parse_mta_sts_policy(body)); }

}  // namespace

// --- MTA-STS TXT record ---

BOOST_AUTO_TEST_CASE(sts_record_rfc_example_gives_its_id) {
    const auto record = parse_mta_sts_record("v=STSv1; id=20160831085700Z;");
    BOOST_TEST_REQUIRE(record.has_value(), why(record));
    BOOST_TEST(record->id == "20160831085700Z");
}

BOOST_AUTO_TEST_CASE(sts_record_allows_spaces_tabs_and_no_trailing_semicolon) {
    const auto record = parse_mta_sts_record("v=STSv1 \t;   id=abc123  ");
    BOOST_TEST_REQUIRE(record.has_value(), why(record));
    BOOST_TEST(record->id == "abc123");
    const auto trailing = parse_mta_sts_record("v=STSv1;id=X;  ");
    BOOST_TEST_REQUIRE(trailing.has_value(), why(trailing));
    BOOST_TEST(trailing->id == "X");
}

BOOST_AUTO_TEST_CASE(sts_record_ignores_extension_fields) {
    const auto record = parse_mta_sts_record("v=STSv1; ext_1.a-b=x:y/z; id=42; later=1");
    BOOST_TEST_REQUIRE(record.has_value(), why(record));
    BOOST_TEST(record->id == "42");
}

BOOST_AUTO_TEST_CASE(sts_record_without_id_is_rejected) {
    BOOST_TEST(message_of(parse_mta_sts_record("v=STSv1;")) == "no id field");
    BOOST_TEST(message_of(parse_mta_sts_record("v=STSv1")) == "no id field");
    BOOST_TEST(message_of(parse_mta_sts_record("v=STSv1; ID=abc")) == "no id field");
}

BOOST_AUTO_TEST_CASE(sts_record_with_bad_or_long_id_is_rejected) {
    BOOST_TEST(message_of(parse_mta_sts_record("v=STSv1; id=x!y")) == "id 'x!y' is not 1-32 letters and digits");
    BOOST_TEST(message_of(parse_mta_sts_record("v=STSv1; id=")) == "id '' is not 1-32 letters and digits");
    const std::string id32(32, 'a');
    const auto longest = parse_mta_sts_record("v=STSv1; id=" + id32);
    BOOST_TEST_REQUIRE(longest.has_value(), why(longest));
    BOOST_TEST(longest->id == id32);
    BOOST_TEST(message_of(parse_mta_sts_record("v=STSv1; id=" + id32 + "b")) ==
               "id '" + id32 + "b' is not 1-32 letters and digits");
}

BOOST_AUTO_TEST_CASE(sts_record_with_two_ids_is_rejected) {
    BOOST_TEST(message_of(parse_mta_sts_record("v=STSv1; id=a; id=b")) == "second id field");
}

BOOST_AUTO_TEST_CASE(sts_record_with_wrong_version_or_case_is_rejected) {
    BOOST_TEST(message_of(parse_mta_sts_record("v=stsv1; id=a")) == "does not start with v=STSv1");
    BOOST_TEST(message_of(parse_mta_sts_record("v=STSv2; id=a")) == "does not start with v=STSv1");
    BOOST_TEST(message_of(parse_mta_sts_record("id=a; v=STSv1")) == "does not start with v=STSv1");
    BOOST_TEST(message_of(parse_mta_sts_record(" v=STSv1; id=a")) == "does not start with v=STSv1");
    BOOST_TEST(message_of(parse_mta_sts_record("v=STSv10; id=a")) == "does not start with v=STSv1");
}

BOOST_AUTO_TEST_CASE(sts_record_with_malformed_fields_is_rejected) {
    BOOST_TEST(message_of(parse_mta_sts_record("v=STSv1; foo; id=a")) == "field 'foo' has no '='");
    BOOST_TEST(message_of(parse_mta_sts_record("v=STSv1;; id=a")) == "empty field between ';'");
    BOOST_TEST(message_of(parse_mta_sts_record("v=STSv1; id =a")) == "bad field name 'id '");
    BOOST_TEST(message_of(parse_mta_sts_record("v=STSv1; _x=1; id=a")) == "bad field name '_x'");
    BOOST_TEST(message_of(parse_mta_sts_record("v=STSv1; x=a=b; id=a")) == "field 'x' has a bad value 'a=b'");
    BOOST_TEST(message_of(parse_mta_sts_record("v=STSv1; x=; id=a")) == "field 'x' has an empty value");
    BOOST_TEST(message_of(parse_mta_sts_record("v=STSv1; x=a\x01; id=a")) == "field 'x' has a bad value 'a\\x01'");
}

// --- TLS-RPT TXT record ---

BOOST_AUTO_TEST_CASE(tls_rpt_record_with_two_rua_uris_keeps_both_trimmed) {
    const auto record = parse_tls_rpt_record("v=TLSRPTv1; rua=mailto:reports@example.com , https://r.example.com/x;");
    BOOST_TEST_REQUIRE(record.has_value(), why(record));
    const std::vector<std::string> expected = {"mailto:reports@example.com", "https://r.example.com/x"};
    BOOST_TEST(record->rua == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(tls_rpt_record_accepts_scheme_in_any_case_and_extensions) {
    const auto record = parse_tls_rpt_record("v=TLSRPTv1;ext=1; rua=MAILTO:a@b.example?subject=x");
    BOOST_TEST_REQUIRE(record.has_value(), why(record));
    BOOST_TEST_REQUIRE(record->rua.size() == 1U);
    BOOST_TEST(record->rua[0] == "MAILTO:a@b.example?subject=x");
}

BOOST_AUTO_TEST_CASE(tls_rpt_record_with_bad_scheme_is_rejected) {
    BOOST_TEST(message_of(parse_tls_rpt_record("v=TLSRPTv1; rua=ftp://x")) == "rua 'ftp://x' is neither mailto: nor https:");
    BOOST_TEST(message_of(parse_tls_rpt_record("v=TLSRPTv1; rua=mailto:a@b.example,http://x")) ==
               "rua 'http://x' is neither mailto: nor https:");
    BOOST_TEST(message_of(parse_tls_rpt_record("v=TLSRPTv1; rua=https:")) == "rua 'https:' has nothing after https:");
    BOOST_TEST(message_of(parse_tls_rpt_record("v=TLSRPTv1; rua=mailto:a@b.example,")) == "rua has an empty URI");
    BOOST_TEST(message_of(parse_tls_rpt_record("v=TLSRPTv1; rua=mailto:a b")) ==
               "rua 'mailto:a b' has a space or a byte not allowed in a URI");
    BOOST_TEST(message_of(parse_tls_rpt_record("v=TLSRPTv1; rua=")) == "rua field is empty");
}

BOOST_AUTO_TEST_CASE(tls_rpt_record_without_rua_or_version_is_rejected) {
    BOOST_TEST(message_of(parse_tls_rpt_record("v=TLSRPTv1;")) == "no rua field");
    BOOST_TEST(message_of(parse_tls_rpt_record("v=TLSRPTv1; ruf=mailto:a@b.example")) == "no rua field");
    BOOST_TEST(message_of(parse_tls_rpt_record("v=tlsrptv1; rua=mailto:a@b.example")) == "does not start with v=TLSRPTv1");
    BOOST_TEST(message_of(parse_tls_rpt_record("v=STSv1; rua=mailto:a@b.example")) == "does not start with v=TLSRPTv1");
    BOOST_TEST(message_of(parse_tls_rpt_record("v=TLSRPTv1; rua=mailto:a@b.example; rua=mailto:c@d.example")) ==
               "second rua field");
}

// --- choosing among TXT records ---

BOOST_AUTO_TEST_CASE(select_finds_the_one_versioned_record_among_unrelated_ones) {
    const std::vector<std::string> txts = {"google-site-verification=abc", "v=spf1 -all", "v=STSv1; id=1", "v=STSv1x; id=2"};
    const auto index = select_versioned_record(txts, "v=STSv1");
    BOOST_TEST_REQUIRE(index.has_value(), why(index));
    BOOST_TEST(*index == 2U);
    const std::vector<std::string> rpt = {"v=TLSRPTv1;rua=mailto:a@b.example", "v=STSv1; id=1"};
    const auto rpt_index = select_versioned_record(rpt, "v=TLSRPTv1");
    BOOST_TEST_REQUIRE(rpt_index.has_value(), why(rpt_index));
    BOOST_TEST(*rpt_index == 0U);
}

BOOST_AUTO_TEST_CASE(select_without_versioned_record_is_an_error) {
    BOOST_TEST(message_of(select_versioned_record({}, "v=STSv1")) == "no record starts with v=STSv1");
    BOOST_TEST(message_of(select_versioned_record({"v=spf1 -all", "v=stsv1; id=1"}, "v=STSv1")) ==
               "no record starts with v=STSv1");
    BOOST_TEST(message_of(select_versioned_record({"v=STSv1; id=1"}, "v=TLSRPTv1")) == "no record starts with v=TLSRPTv1");
}

BOOST_AUTO_TEST_CASE(select_with_two_versioned_records_is_an_error) {
    BOOST_TEST(message_of(select_versioned_record({"v=STSv1; id=1", "x", "v=STSv1 ; id=2"}, "v=STSv1")) ==
               "2 records start with v=STSv1");
    BOOST_TEST(message_of(select_versioned_record({"v=TLSRPTv1", "v=TLSRPTv1;", "v=TLSRPTv1; rua=https://x"}, "v=TLSRPTv1")) ==
               "3 records start with v=TLSRPTv1");
}

// --- MTA-STS policy file ---

BOOST_AUTO_TEST_CASE(policy_rfc_example_parses_in_order) {
    const auto policy = parse_mta_sts_policy(rfc_policy);
    BOOST_TEST_REQUIRE(policy.has_value(), why(policy));
    BOOST_TEST(mode_name(policy->mode) == "enforce");
    const std::vector<std::string> expected = {"mail.example.com", "*.example.net", "backupmx.example.com"};
    BOOST_TEST(policy->mx == expected, boost::test_tools::per_element());
    BOOST_TEST(policy->max_age == 604800U);
}

BOOST_AUTO_TEST_CASE(policy_with_crlf_lines_and_no_final_newline_parses) {
    const auto policy = parse_mta_sts_policy("version: STSv1\r\nmode: testing\r\nmx: MX1.Example.COM  \r\nmax_age:86400");
    BOOST_TEST_REQUIRE(policy.has_value(), why(policy));
    BOOST_TEST(mode_name(policy->mode) == "testing");
    BOOST_TEST_REQUIRE(policy->mx.size() == 1U);
    BOOST_TEST(policy->mx[0] == "mx1.example.com");
    BOOST_TEST(policy->max_age == 86400U);
}

BOOST_AUTO_TEST_CASE(policy_allows_empty_lines_and_ignores_unknown_keys) {
    const auto policy = parse_mta_sts_policy("\nversion: STSv1\n\nmode: none\nfuture_key: caf\xc3\xa9 \xe2\x9c\x93\nmax_age: 0\n\n");
    BOOST_TEST_REQUIRE(policy.has_value(), why(policy));
    BOOST_TEST(mode_name(policy->mode) == "none");
    BOOST_TEST(policy->mx.empty());
    BOOST_TEST(policy->max_age == 0U);
}

BOOST_AUTO_TEST_CASE(policy_in_mode_enforce_or_testing_without_mx_is_rejected_with_no_line) {
    BOOST_TEST(policy_error("version: STSv1\nmode: enforce\nmax_age: 86400\n") == "no mx line, which mode enforce requires");
    BOOST_TEST(policy_error("version: STSv1\nmode: testing\nmax_age: 86400\n") == "no mx line, which mode testing requires");
}

BOOST_AUTO_TEST_CASE(policy_without_max_age_is_rejected_with_no_line) {
    BOOST_TEST(policy_error("version: STSv1\nmode: enforce\nmx: a.example\n") == "no max_age line");
}

BOOST_AUTO_TEST_CASE(policy_without_version_or_mode_is_rejected_with_no_line) {
    BOOST_TEST(policy_error("mode: enforce\nmx: a.example\nmax_age: 1\n") == "no version line");
    BOOST_TEST(policy_error("version: STSv1\nmx: a.example\nmax_age: 1\n") == "no mode line");
    BOOST_TEST(policy_error("") == "no version line");
}

BOOST_AUTO_TEST_CASE(policy_max_age_bounds_are_zero_and_one_year) {
    const auto year = parse_mta_sts_policy("version: STSv1\nmode: none\nmax_age: 31557600\n");
    BOOST_TEST_REQUIRE(year.has_value(), why(year));
    BOOST_TEST(year->max_age == 31557600U);
    BOOST_TEST(policy_error("version: STSv1\nmode: none\nmax_age: 31557601\n") ==
               "line 3: max_age 31557601 exceeds 31557600 (one year)");
    BOOST_TEST(policy_error("version: STSv1\nmode: none\nmax_age: 9999999999\n") ==
               "line 3: max_age 9999999999 exceeds 31557600 (one year)");
}

BOOST_AUTO_TEST_CASE(policy_max_age_that_is_not_1_to_10_digits_is_rejected) {
    BOOST_TEST(policy_error("version: STSv1\nmode: none\nmax_age: 12345678901\n") ==
               "line 3: max_age '12345678901' is not 1 to 10 digits");
    BOOST_TEST(policy_error("version: STSv1\nmode: none\nmax_age: -1\n") == "line 3: max_age '-1' is not 1 to 10 digits");
    BOOST_TEST(policy_error("version: STSv1\nmode: none\nmax_age:\n") == "line 3: max_age '' is not 1 to 10 digits");
    BOOST_TEST(policy_error("version: STSv1\nmode: none\nmax_age: 1 2\n") == "line 3: max_age '1 2' is not 1 to 10 digits");
}

BOOST_AUTO_TEST_CASE(policy_line_without_colon_is_rejected_with_its_number) {
    BOOST_TEST(policy_error("version: STSv1\nmode: enforce\nmx mail.example.com\nmax_age: 1\n") == "line 3: no ':'");
    BOOST_TEST(policy_error("version: STSv1\r\n\r\ngarbage\r\n") == "line 3: no ':'");
}

BOOST_AUTO_TEST_CASE(policy_with_repeated_version_mode_or_max_age_is_rejected) {
    BOOST_TEST(policy_error("version: STSv1\nmode: enforce\nmode: enforce\n") == "line 3: second mode");
    BOOST_TEST(policy_error("version: STSv1\nversion: STSv1\n") == "line 2: second version");
    BOOST_TEST(policy_error("version: STSv1\nmax_age: 1\nmode: none\nmax_age: 1\n") == "line 4: second max_age");
}

BOOST_AUTO_TEST_CASE(policy_with_bad_version_or_mode_value_is_rejected) {
    BOOST_TEST(policy_error("version: STSv2\n") == "line 1: version 'STSv2' is not STSv1");
    BOOST_TEST(policy_error("version: STSv1\nmode: Enforce\n") == "line 2: mode 'Enforce' is not enforce, testing or none");
    BOOST_TEST(policy_error("version: STSv1\nmode: report\n") == "line 2: mode 'report' is not enforce, testing or none");
}

BOOST_AUTO_TEST_CASE(policy_with_bad_mx_pattern_is_rejected) {
    const std::string head = "version: STSv1\nmode: enforce\nmax_age: 1\n";
    BOOST_TEST(policy_error(head + "mx: -bad.example\n") == "line 4: mx '-bad.example' is not a host name pattern");
    BOOST_TEST(policy_error(head + "mx: a..example\n") == "line 4: mx 'a..example' is not a host name pattern");
    BOOST_TEST(policy_error(head + "mx: mail.example.com.\n") == "line 4: mx 'mail.example.com.' is not a host name pattern");
    BOOST_TEST(policy_error(head + "mx: *.*.example\n") == "line 4: mx '*.*.example' is not a host name pattern");
    BOOST_TEST(policy_error(head + "mx: *\n") == "line 4: mx '*' is not a host name pattern");
    BOOST_TEST(policy_error(head + "mx: under_score.example\n") == "line 4: mx 'under_score.example' is not a host name pattern");
    BOOST_TEST(policy_error(head + "mx: " + std::string(64, 'a') + ".example\n") ==
               "line 4: mx '" + std::string(64, 'a') + "...' is not a host name pattern");
    const auto single = parse_mta_sts_policy(head + "mx: localhost\nmx: *.A-1.example\nmx: " + std::string(63, 'b') + "\n");
    BOOST_TEST_REQUIRE(single.has_value(), why(single));
    const std::vector<std::string> expected = {"localhost", "*.a-1.example", std::string(63, 'b')};
    BOOST_TEST(single->mx == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(policy_with_nul_or_high_bytes_outside_values_is_rejected_with_its_line) {
    BOOST_TEST(policy_error(std::string("version: STSv1\nmode: none\0\n", 27)) == "line 2: NUL byte");
    BOOST_TEST(policy_error("version: STSv1\nmod\xc3\xa9: none\n") == "line 2: byte 0xc3 outside a value");
    BOOST_TEST(policy_error("version: STSv1\nmode: n\xc3\xb6ne\n") == "line 2: mode 'n\\xc3\\xb6ne' is not enforce, testing or none");
    BOOST_TEST(policy_error("version: STSv1\rmode: none\n") == "line 1: control byte 0x0d");
}

BOOST_AUTO_TEST_CASE(policy_with_bad_key_is_rejected) {
    BOOST_TEST(policy_error("version: STSv1\n mode: none\n") == "line 2: bad key ' mode'");
    BOOST_TEST(policy_error("version: STSv1\nmode : none\n") == "line 2: bad key 'mode '");
    BOOST_TEST(policy_error(": none\n") == "line 1: bad key ''");
}

BOOST_AUTO_TEST_CASE(policy_larger_than_64_kib_is_rejected) {
    std::string body = rfc_policy;
    body.append(64 * 1024 - body.size() - 1, '\n');
    body += "\n";
    BOOST_TEST_REQUIRE(body.size() == 64U * 1024U);
    const auto largest = parse_mta_sts_policy(body);
    BOOST_TEST(largest.has_value(), why(largest));
    body += "\n";
    BOOST_TEST(policy_error(body) == "larger than 64 KiB");
}

BOOST_AUTO_TEST_CASE(mode_names_are_the_policy_words) {
    BOOST_TEST(mode_name(MtaStsMode::enforce) == "enforce");
    BOOST_TEST(mode_name(MtaStsMode::testing) == "testing");
    BOOST_TEST(mode_name(MtaStsMode::none) == "none");
}

// --- mx patterns ---

BOOST_AUTO_TEST_CASE(wildcard_pattern_matches_exactly_one_leftmost_label) {
    BOOST_TEST(mx_pattern_matches("*.example.com", "mx.example.com"));
    BOOST_TEST(!mx_pattern_matches("*.example.com", "example.com"));
    BOOST_TEST(!mx_pattern_matches("*.example.com", "a.b.example.com"));
    BOOST_TEST(!mx_pattern_matches("*.example.com", ".example.com"));
    BOOST_TEST(!mx_pattern_matches("*.example.com", "mx.example.com.evil"));
    BOOST_TEST(!mx_pattern_matches("*.example.com", "mxexample.com"));
}

BOOST_AUTO_TEST_CASE(exact_pattern_matches_only_the_same_name) {
    BOOST_TEST(mx_pattern_matches("mail.example.com", "mail.example.com"));
    BOOST_TEST(!mx_pattern_matches("mail.example.com", "mx.mail.example.com"));
    BOOST_TEST(!mx_pattern_matches("mail.example.com", "mail.example.co"));
    BOOST_TEST(!mx_pattern_matches("mail.example.com", ""));
    BOOST_TEST(!mx_pattern_matches("", "mail.example.com"));
    BOOST_TEST(!mx_pattern_matches("*.", "a."));
}

BOOST_AUTO_TEST_CASE(pattern_matching_ignores_case_and_one_trailing_dot) {
    BOOST_TEST(mx_pattern_matches("mail.example.com", "MAIL.Example.COM."));
    BOOST_TEST(mx_pattern_matches("*.example.net", "MX2.EXAMPLE.NET."));
    BOOST_TEST(!mx_pattern_matches("mail.example.com", "mail.example.com.."));
    BOOST_TEST(!mx_pattern_matches("mail.example.com", "."));
}

BOOST_AUTO_TEST_CASE(matching_mx_pattern_returns_the_first_match_or_nothing) {
    auto policy = parse_mta_sts_policy(rfc_policy + "mx: *.example.com\n");
    BOOST_TEST_REQUIRE(policy.has_value(), why(policy));
    BOOST_TEST(matching_mx_pattern(*policy, "Mail.Example.com.").value_or("-") == "mail.example.com");
    BOOST_TEST(matching_mx_pattern(*policy, "mx7.example.net").value_or("-") == "*.example.net");
    BOOST_TEST(matching_mx_pattern(*policy, "backupmx.example.com").value_or("-") == "backupmx.example.com");
    BOOST_TEST(matching_mx_pattern(*policy, "other.example.com").value_or("-") == "*.example.com");
    BOOST_TEST(!matching_mx_pattern(*policy, "example.net").has_value());
    BOOST_TEST(!matching_mx_pattern(*policy, "a.b.example.net").has_value());
}
