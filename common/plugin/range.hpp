#pragma once
// Nagios threshold ranges: [@]start:end (Monitoring Plugins development guidelines).

#include <string>
#include <string_view>
#include <variant>

namespace tls_checks::plugin {

struct Range {
    double start = 0.0;
    bool start_is_minus_infinity = false;  // "~"
    double end = 0.0;
    bool end_is_plus_infinity = false;     // "start:" with no end
    bool alert_inside = false;             // leading "@"
    std::string text;                      // canonical form, as printed in perfdata

    // True when `value` must raise an alert: outside start..end (both inclusive),
    // or inside it with '@'.
    [[nodiscard]] bool alerts(double value) const noexcept;
};

enum class RangeErrorKind { empty, bad_start, bad_end, start_after_end, trailing_junk };

struct RangeError {
    RangeErrorKind kind;
    std::string message;  // "bad range '10:x': end is not a number"
};

// Parses a range; anything that is not exactly the grammar is an error, never ignored.
std::variant<Range, RangeError> parse_range(std::string_view text);

// Thresholds on "days left": a plain number N means "alert when fewer than N days are left"
// (what check_http -C and check_ssl_cert users type), i.e. the range "N:". Anything with ':',
// '~' or '@' is a full range.
std::variant<Range, RangeError> parse_days_threshold(std::string_view text);

}  // namespace tls_checks::plugin
