// Perfdata formatting per common/README.md (Plugin API facts: performance data): quoting, '.' as
// the decimal point in any locale, U, trailing empty fields dropped.

#include <boost/test/unit_test.hpp>

#include <clocale>
#include <locale>
#include <variant>

#include "plugin/number.hpp"
#include "plugin/perfdata.hpp"

using namespace tls_checks::plugin;

namespace {

Range range(const char* text) { return std::get<Range>(parse_range(text)); }

// A numpunct facet that writes decimals with a comma, as de_DE does.
struct CommaDecimal : std::numpunct<char> {
    char do_decimal_point() const override { return ','; }
};

}  // namespace

BOOST_AUTO_TEST_CASE(days_left_item_has_ranges_and_drops_empty_trailing_fields) {
    Perfdata item;
    item.label = "days_left";
    item.value = 41.734;
    item.warning = range("30:");
    item.critical = range("14:");
    BOOST_TEST(format_perfdata(item) == "days_left=41.73;30:;14:");
}

BOOST_AUTO_TEST_CASE(unit_min_and_max_are_printed_in_their_fields) {
    Perfdata item;
    item.label = "time";
    item.value = 0.0125;
    item.unit = Unit::seconds;
    item.decimals = 3;
    item.min = 0;
    BOOST_TEST(format_perfdata(item) == "time=0.013s;;;0");
    item.max = 10;
    BOOST_TEST(format_perfdata(item) == "time=0.013s;;;0;10");
}

BOOST_AUTO_TEST_CASE(unknown_value_is_U_without_unit) {
    Perfdata item;
    item.label = "time";
    item.unit = Unit::seconds;
    BOOST_TEST(format_perfdata(item) == "time=U");
}

BOOST_AUTO_TEST_CASE(label_with_space_is_quoted_and_forbidden_characters_replaced) {
    Perfdata item;
    item.label = "days left";
    item.value = 1;
    BOOST_TEST(format_perfdata(item) == "'days left'=1");
    item.label = "a=b'c";
    BOOST_TEST(format_perfdata(item) == "a_b_c=1");
    item.label = "x|y\nz";
    BOOST_TEST(format_perfdata(item) == "x!y?z=1");
}

BOOST_AUTO_TEST_CASE(decimal_point_is_a_dot_whatever_the_locale) {
    const std::locale previous = std::locale::global(std::locale(std::locale::classic(), new CommaDecimal));
    // Also the C locale, where a German one is installed.
    const bool german = std::setlocale(LC_NUMERIC, "de_DE.UTF-8") != nullptr;
    Perfdata item;
    item.label = "days_left";
    item.value = 2.5;
    BOOST_TEST(format_perfdata(item) == "days_left=2.5");
    BOOST_TEST(format_decimal(-0.25, 2) == "-0.25");
    BOOST_TEST(parse_decimal("2.5").value_or(0) == 2.5);
    BOOST_TEST(!parse_decimal("2,5").has_value());
    std::locale::global(previous);
    if (german) std::setlocale(LC_NUMERIC, "C");
}

BOOST_AUTO_TEST_CASE(format_decimal_never_prints_exponents_or_negative_zero) {
    BOOST_TEST(format_decimal(1e9, 2) == "1000000000");
    BOOST_TEST(format_decimal(0.0001, 2) == "0");
    BOOST_TEST(format_decimal(-0.0001, 2) == "0");
    BOOST_TEST(format_decimal(30.0, 6) == "30");
}
