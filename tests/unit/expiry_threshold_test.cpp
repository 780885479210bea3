// Expiry thresholds: every form a user may type, the boundary of each, the junk that must be
// rejected, and the lifetime-relative defaults against the lifetimes CAs actually issue.

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include "plugin/expiry_threshold.hpp"

namespace data = boost::unit_test::data;
using tls_checks::plugin::default_critical_threshold;
using tls_checks::plugin::default_warning_threshold;
using tls_checks::plugin::ExpiryThreshold;
using tls_checks::plugin::parse_expiry_threshold;
using tls_checks::plugin::Range;
using tls_checks::plugin::RangeError;
using tls_checks::plugin::RangeErrorKind;

namespace {

ExpiryThreshold must_parse(const std::string& text) {
    auto parsed = parse_expiry_threshold(text);
    BOOST_TEST_INFO("threshold " << text);
    BOOST_REQUIRE(std::holds_alternative<ExpiryThreshold>(parsed));
    return std::get<ExpiryThreshold>(parsed);
}

// The state check_tls_cert gives for `days_left` under a warning and a critical threshold.
enum class Verdict { ok, warning, critical };

std::ostream& operator<<(std::ostream& out, Verdict verdict) {
    switch (verdict) {
        case Verdict::ok: return out << "OK";
        case Verdict::warning: return out << "WARNING";
        case Verdict::critical: return out << "CRITICAL";
    }
    return out;
}

Verdict verdict(const ExpiryThreshold& warning, const ExpiryThreshold& critical, double lifetime_days,
                double days_left) {
    if (critical.days_range(lifetime_days).alerts(days_left)) return Verdict::critical;
    if (warning.days_range(lifetime_days).alerts(days_left)) return Verdict::warning;
    return Verdict::ok;
}

constexpr double any_lifetime = 90.0;

struct DefaultsRow {
    double lifetime_days;
    double warning_days;
    double critical_days;
};

std::ostream& operator<<(std::ostream& out, const DefaultsRow& row) {
    return out << row.lifetime_days << "-day lifetime";
}

// CA/Browser Forum SC-081 steps (398, 200, 100, 47 days), Let's Encrypt's 90-, 45- and 6-day
// certificates, and a 1-day test certificate.
const std::vector<DefaultsRow> defaults_table = {
    {398, 30, 14},
    {200, 30, 14},
    {100, 30, 14},
    {90, 30, 14},
    {47, 15.666667, 7.833333},
    {45, 15, 7.5},
    {6, 2, 1},
    {1, 0.333333, 0.166667},
};

}  // namespace

BOOST_AUTO_TEST_CASE(plain_number_means_fewer_than_that_many_days_whatever_the_lifetime) {
    for (const double lifetime : {1.0, 90.0, 398.0}) {
        const Range range = must_parse("30").days_range(lifetime);
        BOOST_TEST(range.text == "30:");
        BOOST_TEST(range.alerts(29.999));
        BOOST_TEST(!range.alerts(30));
        BOOST_TEST(!range.alerts(30.001));
    }
    BOOST_TEST(must_parse("2.5").days_range(any_lifetime).text == "2.5:");
    BOOST_TEST(!must_parse("30").percent_range().has_value());
    BOOST_TEST(must_parse("30").text() == "30");
}

BOOST_AUTO_TEST_CASE(durations_with_a_unit_are_converted_to_days) {
    const std::vector<std::pair<std::string, std::string>> table = {
        {"36h", "1.5:"}, {"90m", "0.0625:"}, {"10d", "10:"}, {"1.5d", "1.5:"}, {"2w", "14:"},
        {"43200s", "0.5:"}, {"0d", "0:"}, {".5d", "0.5:"}, {"1s", "0.000012:"},
    };
    for (const auto& [text, range] : table) {
        BOOST_TEST_INFO("threshold " << text);
        BOOST_TEST(must_parse(text).days_range(any_lifetime).text == range);
        BOOST_TEST(!must_parse(text).percent_range().has_value());
    }
}

BOOST_AUTO_TEST_CASE(duration_alerts_below_and_not_at_its_value) {
    const Range range = must_parse("36h").days_range(any_lifetime);
    BOOST_TEST(range.alerts(1.499));
    BOOST_TEST(!range.alerts(1.5));
    BOOST_TEST(!range.alerts(1.501));
    BOOST_TEST(range.alerts(-1));  // expired
}

BOOST_AUTO_TEST_CASE(percentage_is_a_share_of_the_certificates_own_lifetime) {
    const ExpiryThreshold threshold = must_parse("33%");
    BOOST_TEST(threshold.days_range(90).text == "29.7:");
    BOOST_TEST(threshold.days_range(6).text == "1.98:");
    BOOST_TEST(threshold.days_range(398).text == "131.34:");
    BOOST_TEST(threshold.text() == "33%");
    BOOST_TEST(must_parse("12.5%").days_range(200).text == "25:");
    BOOST_TEST(must_parse("100%").days_range(47).text == "47:");
}

BOOST_AUTO_TEST_CASE(percentage_alerts_below_and_not_at_its_share) {
    const Range range = must_parse("50%").days_range(10);
    BOOST_TEST(range.alerts(4.999));
    BOOST_TEST(!range.alerts(5));
    BOOST_TEST(!range.alerts(5.001));
}

BOOST_AUTO_TEST_CASE(percentage_gives_a_range_on_percent_of_lifetime_left) {
    const auto percent = must_parse("33%").percent_range();
    BOOST_REQUIRE(percent.has_value());
    BOOST_TEST(percent->text == "33:");
    BOOST_TEST(percent->alerts(32.99));
    BOOST_TEST(!percent->alerts(33));
    BOOST_TEST(must_parse("12.5%").percent_range()->text == "12.5:");
}

BOOST_AUTO_TEST_CASE(nagios_range_is_taken_as_it_is_on_days_left) {
    const Range inside = must_parse("@0:7").days_range(any_lifetime);
    BOOST_TEST(inside.text == "@7");  // canonical: a start of 0 is implied
    BOOST_TEST(inside.alerts(7));
    BOOST_TEST(!inside.alerts(7.001));
    const Range upper = must_parse("~:400").days_range(6);
    BOOST_TEST(upper.text == "~:400");
    BOOST_TEST(upper.alerts(400.001));
    BOOST_TEST(!upper.alerts(400));
    BOOST_TEST(must_parse("10:20").days_range(1).text == "10:20");
    BOOST_TEST(!must_parse("@0:7").percent_range().has_value());
    BOOST_TEST(must_parse("@0:7").text() == "@0:7");
}

BOOST_AUTO_TEST_CASE(junk_is_rejected_naming_the_value_and_what_is_wanted) {
    const std::vector<std::string> table = {
        "junk", "10x", "%", "d", "-5d", "-1%", "101%", "0%", "", "10 d", "1e3", "10dd", "10%%",
        "h", "10y", "10D", " 10d", "10d ", "%10", "d10", "1.2.3d", "nan%", "inf", "10:x", "@",
    };
    for (const auto& text : table) {
        const auto parsed = parse_expiry_threshold(text);
        BOOST_TEST_INFO("threshold '" << text << "'");
        BOOST_REQUIRE(std::holds_alternative<RangeError>(parsed));
        const std::string& message = std::get<RangeError>(parsed).message;
        BOOST_TEST(message.find("'" + text + "'") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(rejection_message_lists_the_accepted_forms) {
    const auto parsed = parse_expiry_threshold("10x");
    BOOST_REQUIRE(std::holds_alternative<RangeError>(parsed));
    BOOST_TEST(std::get<RangeError>(parsed).message ==
               "bad threshold '10x': want DAYS, a duration (36h, 90m, 10d), a percentage of the lifetime (33%) "
               "or a range");
    const auto empty = parse_expiry_threshold("");
    BOOST_REQUIRE(std::holds_alternative<RangeError>(empty));
    BOOST_TEST(static_cast<int>(std::get<RangeError>(empty).kind) == static_cast<int>(RangeErrorKind::empty));
}

BOOST_AUTO_TEST_CASE(percentage_out_of_range_says_what_is_allowed) {
    for (const std::string text : {"0%", "101%", "-1%"}) {
        const auto parsed = parse_expiry_threshold(text);
        BOOST_TEST_INFO("threshold " << text);
        BOOST_REQUIRE(std::holds_alternative<RangeError>(parsed));
        BOOST_TEST(std::get<RangeError>(parsed).message.find("above 0% and at most 100%") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(negative_duration_is_rejected_as_negative) {
    const auto parsed = parse_expiry_threshold("-5d");
    BOOST_REQUIRE(std::holds_alternative<RangeError>(parsed));
    BOOST_TEST(std::get<RangeError>(parsed).message == "bad threshold '-5d': a duration must not be negative");
}

BOOST_DATA_TEST_CASE(defaults_take_a_third_and_a_sixth_of_the_lifetime_capped_at_30_and_14_days,
                     data::make(defaults_table), row) {
    const Range warning = default_warning_threshold().days_range(row.lifetime_days);
    const Range critical = default_critical_threshold().days_range(row.lifetime_days);
    BOOST_TEST(warning.start == row.warning_days, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(critical.start == row.critical_days, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(warning.end_is_plus_infinity);
    BOOST_TEST(critical.end_is_plus_infinity);
    BOOST_TEST(!warning.alert_inside);
}

BOOST_AUTO_TEST_CASE(defaults_for_90_days_are_the_old_fixed_defaults) {
    BOOST_TEST(default_warning_threshold().days_range(90).text == "30:");
    BOOST_TEST(default_critical_threshold().days_range(90).text == "14:");
    BOOST_TEST(default_warning_threshold().days_range(45).text == "15:");
    BOOST_TEST(default_critical_threshold().days_range(45).text == "7.5:");
    BOOST_TEST(default_warning_threshold().days_range(47).text == "15.666667:");
    BOOST_TEST(!default_warning_threshold().percent_range().has_value());
    BOOST_TEST(!default_warning_threshold().text().empty());
    BOOST_TEST(default_warning_threshold().text() != default_critical_threshold().text());
}

BOOST_AUTO_TEST_CASE(defaults_alert_below_and_not_at_their_share) {
    const Range warning = default_warning_threshold().days_range(6);
    const Range critical = default_critical_threshold().days_range(6);
    BOOST_TEST(warning.alerts(1.999));
    BOOST_TEST(!warning.alerts(2));
    BOOST_TEST(critical.alerts(0.999));
    BOOST_TEST(!critical.alerts(1));
}

BOOST_AUTO_TEST_CASE(six_day_certificate_with_three_days_left_is_ok_by_default_but_warning_at_60_percent) {
    BOOST_TEST(verdict(default_warning_threshold(), default_critical_threshold(), 6, 3) == Verdict::ok);
    BOOST_TEST(verdict(must_parse("60%"), default_critical_threshold(), 6, 3) == Verdict::warning);
}

BOOST_AUTO_TEST_CASE(forty_five_day_certificate_with_four_days_left_is_critical_by_default) {
    BOOST_TEST(verdict(default_warning_threshold(), default_critical_threshold(), 45, 4) == Verdict::critical);
    BOOST_TEST(verdict(default_warning_threshold(), default_critical_threshold(), 45, 10) == Verdict::warning);
    BOOST_TEST(verdict(default_warning_threshold(), default_critical_threshold(), 45, 20) == Verdict::ok);
}

BOOST_AUTO_TEST_CASE(broken_lifetime_counts_as_zero_never_nan_or_negative) {
    for (const double lifetime : {0.0, -10.0, -1e9, std::nan(""), -std::numeric_limits<double>::infinity(),
                                  std::numeric_limits<double>::infinity()}) {
        BOOST_TEST_INFO("lifetime " << lifetime);
        BOOST_TEST(default_warning_threshold().days_range(lifetime).text == "0:");
        BOOST_TEST(default_critical_threshold().days_range(lifetime).text == "0:");
        BOOST_TEST(must_parse("33%").days_range(lifetime).text == "0:");
        BOOST_TEST(must_parse("30").days_range(lifetime).text == "30:");
    }
}
