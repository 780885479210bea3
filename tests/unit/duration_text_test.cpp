// Remaining-time wording for "expires in ..." / "expired ... ago": the unit table, and the
// rounding boundaries where a unit must hand over to the next one instead of showing "24 hours".

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "plugin/duration_text.hpp"

using tls_checks::plugin::remaining_text;

namespace {

constexpr double minute = 60.0;
constexpr double hour = 3600.0;
constexpr double day = 86400.0;

void check_table(const std::vector<std::pair<double, std::string>>& table) {
    for (const auto& [seconds, text] : table) {
        BOOST_TEST_INFO("seconds " << seconds);
        BOOST_TEST(remaining_text(seconds) == text);
    }
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_day_or_more_is_days_with_one_decimal_and_no_trailing_zero) {
    check_table({
        {200.5 * day, "200.5 days"},
        {20 * day, "20 days"},
        {1 * day, "1 day"},
        {1.5 * day, "1.5 days"},
        {1.04 * day, "1 day"},
        {1.96 * day, "2 days"},
        {10.25 * day + 1, "10.3 days"},
        {3652 * day, "3652 days"},
    });
}

BOOST_AUTO_TEST_CASE(below_a_day_is_whole_hours) {
    check_table({
        {5 * hour, "5 hours"},
        {1 * hour, "1 hour"},
        {1.49 * hour, "1 hour"},
        {1.5 * hour, "2 hours"},
        {23.49 * hour, "23 hours"},
        {0.96 * day, "23 hours"},
    });
}

BOOST_AUTO_TEST_CASE(below_an_hour_is_whole_minutes) {
    check_table({
        {50 * minute, "50 minutes"},
        {1 * minute, "1 minute"},
        {89, "1 minute"},
        {90, "2 minutes"},
        {59 * minute + 29, "59 minutes"},
    });
}

BOOST_AUTO_TEST_CASE(below_a_minute_is_whole_seconds) {
    check_table({
        {30, "30 seconds"},
        {1, "1 second"},
        {0, "0 seconds"},
        {0.4, "0 seconds"},
        {0.5, "1 second"},
        {1.6, "2 seconds"},
        {59.4, "59 seconds"},
    });
}

BOOST_AUTO_TEST_CASE(rounding_up_to_a_whole_next_unit_names_that_unit) {
    check_table({
        {23.99 * hour, "1 day"},
        {23.5 * hour, "1 day"},
        {day - 1, "1 day"},
        {59.99 * minute, "1 hour"},
        {59.5 * minute, "1 hour"},
        {hour - 1, "1 hour"},
        {59.5, "1 minute"},
        {59.99, "1 minute"},
    });
}

BOOST_AUTO_TEST_CASE(negative_is_read_as_its_magnitude_and_nan_as_zero) {
    BOOST_TEST(remaining_text(-5 * hour) == "5 hours");
    BOOST_TEST(remaining_text(std::nan("")) == "0 seconds");
}
