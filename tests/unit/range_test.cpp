// Nagios ranges: the boundary table from common/README.md (Plugin API facts: ranges), at, just
// below and just above every endpoint, plus the malformed inputs that must be rejected rather
// than half-read.

#include <boost/test/unit_test.hpp>

#include <string>
#include <variant>
#include <vector>

#include "plugin/range.hpp"

using tls_checks::plugin::parse_days_threshold;
using tls_checks::plugin::parse_range;
using tls_checks::plugin::Range;
using tls_checks::plugin::RangeError;
using tls_checks::plugin::RangeErrorKind;

namespace {

Range must_parse(const std::string& text) {
    auto parsed = parse_range(text);
    BOOST_TEST_INFO("range " << text);
    BOOST_REQUIRE(std::holds_alternative<Range>(parsed));
    return std::get<Range>(parsed);
}

struct Row {
    const char* range;
    double value;
    bool alerts;
};

}  // namespace

BOOST_AUTO_TEST_CASE(boundary_table_alerts_exactly_outside_inclusive_endpoints) {
    const std::vector<Row> table = {
        // "10": alert when < 0 or > 10
        {"10", -0.001, true}, {"10", 0, false}, {"10", 0.001, false},
        {"10", 9.999, false}, {"10", 10, false}, {"10", 10.001, true},
        // "10:": alert when < 10
        {"10:", 9.999, true}, {"10:", 10, false}, {"10:", 10.001, false}, {"10:", 1e12, false},
        // "~:10": alert when > 10; the end is inclusive (Monitoring Plugins gets this wrong)
        {"~:10", -1e12, false}, {"~:10", 9.999, false}, {"~:10", 10, false}, {"~:10", 10.001, true},
        // "10:20": alert when < 10 or > 20
        {"10:20", 9.999, true}, {"10:20", 10, false}, {"10:20", 10.001, false},
        {"10:20", 19.999, false}, {"10:20", 20, false}, {"10:20", 20.001, true},
        // "@10:20": alert when 10 <= x <= 20
        {"@10:20", 9.999, false}, {"@10:20", 10, true}, {"@10:20", 10.001, true},
        {"@10:20", 19.999, true}, {"@10:20", 20, true}, {"@10:20", 20.001, false},
        // negatives and decimals
        {"-5:-1", -5.001, true}, {"-5:-1", -5, false}, {"-5:-1", -1, false}, {"-5:-1", -0.999, true},
        {"0.5:1.5", 0.499, true}, {"0.5:1.5", 0.5, false}, {"0.5:1.5", 1.5, false}, {"0.5:1.5", 1.501, true},
        {"@~:0", -3, true}, {"@~:0", 0, true}, {"@~:0", 0.001, false},
        {"~:", -1e12, false}, {"~:", 1e12, false},
        {":10", -0.001, true}, {":10", 0, false}, {":10", 10, false}, {":10", 10.001, true},
    };
    for (const auto& row : table) {
        const Range range = must_parse(row.range);
        BOOST_TEST_INFO("range " << row.range << " value " << row.value);
        BOOST_TEST(range.alerts(row.value) == row.alerts);
    }
}

BOOST_AUTO_TEST_CASE(malformed_ranges_are_rejected_with_their_kind) {
    const std::vector<std::pair<std::string, RangeErrorKind>> table = {
        {"", RangeErrorKind::empty},
        {"@", RangeErrorKind::empty},
        {"10x", RangeErrorKind::trailing_junk},
        {"10:20x", RangeErrorKind::trailing_junk},
        {"10:20:30", RangeErrorKind::trailing_junk},
        {"x", RangeErrorKind::bad_end},
        {"10:x", RangeErrorKind::bad_end},
        {"x:10", RangeErrorKind::bad_start},
        {"~", RangeErrorKind::bad_end},
        {"20:10", RangeErrorKind::start_after_end},
        {"-1", RangeErrorKind::start_after_end},  // start 0 > end -1
        {"1e3", RangeErrorKind::trailing_junk},
        {"inf", RangeErrorKind::bad_end},
        {"nan:", RangeErrorKind::bad_start},
        {" 10", RangeErrorKind::bad_end},
        {"10 ", RangeErrorKind::trailing_junk},
        {"@@10", RangeErrorKind::bad_end},
    };
    for (const auto& [text, kind] : table) {
        const auto parsed = parse_range(text);
        BOOST_TEST_INFO("range '" << text << "'");
        BOOST_REQUIRE(std::holds_alternative<RangeError>(parsed));
        BOOST_TEST(static_cast<int>(std::get<RangeError>(parsed).kind) == static_cast<int>(kind));
        BOOST_TEST(std::get<RangeError>(parsed).message.find("bad range") == 0U);
    }
}

BOOST_AUTO_TEST_CASE(canonical_text_is_what_perfdata_prints) {
    BOOST_TEST(must_parse("10").text == "10");
    BOOST_TEST(must_parse("10:").text == "10:");
    BOOST_TEST(must_parse("~:10").text == "~:10");
    BOOST_TEST(must_parse("@10:20").text == "@10:20");
    BOOST_TEST(must_parse("0:10").text == "10");
    BOOST_TEST(must_parse("1.50:2").text == "1.5:2");
    BOOST_TEST(must_parse("+3:").text == "3:");
}

BOOST_AUTO_TEST_CASE(plain_days_threshold_means_fewer_than_n_days) {
    const auto parsed = parse_days_threshold("30");
    BOOST_REQUIRE(std::holds_alternative<Range>(parsed));
    const auto& range = std::get<Range>(parsed);
    BOOST_TEST(range.text == "30:");
    BOOST_TEST(range.alerts(29.99));
    BOOST_TEST(!range.alerts(30));
    BOOST_TEST(!range.alerts(400));
    BOOST_TEST(range.alerts(-1));  // expired
}

BOOST_AUTO_TEST_CASE(days_threshold_with_range_syntax_is_a_full_range) {
    const auto parsed = parse_days_threshold("@0:7.5");
    BOOST_REQUIRE(std::holds_alternative<Range>(parsed));
    BOOST_TEST(std::get<Range>(parsed).alerts(7.5));
    BOOST_TEST(!std::get<Range>(parsed).alerts(7.6));
    BOOST_TEST(std::holds_alternative<RangeError>(parse_days_threshold("thirty")));
    BOOST_TEST(std::holds_alternative<RangeError>(parse_days_threshold("")));
    BOOST_TEST(std::holds_alternative<RangeError>(parse_days_threshold("30:x")));
}
