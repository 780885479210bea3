#pragma once
// Locale-independent decimal numbers, as perfdata and thresholds need them
// ('.' as decimal point whatever LC_NUMERIC says).

#include <optional>
#include <string>
#include <string_view>

namespace tls_checks::plugin {

// Strict decimal: optional sign, digits, optional '.' and digits ("-1", "2.5", ".5", "10.").
// No exponent, no "inf"/"nan", no white space, nothing left over.
std::optional<double> parse_decimal(std::string_view text) noexcept;

// Fixed notation with at most `decimals` digits after the point, trailing zeros dropped
// ("41.73", "30", "-0.5"). Never produces an exponent or a locale-specific separator.
std::string format_decimal(double value, int decimals);

}  // namespace tls_checks::plugin
