#include "plugin/expiry_threshold.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "plugin/number.hpp"

namespace tls_checks::plugin {

namespace {

constexpr double seconds_per_day = 86400.0;

RangeError bad_threshold(std::string_view text, std::string_view why) {
    return RangeError{RangeErrorKind::bad_end, "bad threshold '" + std::string(text) + "': " + std::string(why)};
}

constexpr std::string_view wanted =
    "want DAYS, a duration (36h, 90m, 10d), a percentage of the lifetime (33%) or a range";

// "X:" with the canonical text perfdata prints. Rounded to the 6 decimals of that text, so the
// value compared is the value shown.
std::optional<Range> at_least(double value) {
    auto parsed = parse_range(format_decimal(value, 6) + ":");
    if (auto* range = std::get_if<Range>(&parsed)) return std::move(*range);
    return std::nullopt;  // not finite, or too large to print without an exponent
}

// Certificates with notAfter before notBefore exist (broken issuers, hand-made test
// certificates); they have no lifetime to take a share of.
double usable_lifetime(double lifetime_days) {
    return std::isfinite(lifetime_days) && lifetime_days > 0.0 ? lifetime_days : 0.0;
}

std::optional<double> seconds_per_unit(char unit) {
    switch (unit) {
        case 's': return 1.0;
        case 'm': return 60.0;
        case 'h': return 3600.0;
        case 'd': return seconds_per_day;
        case 'w': return 7.0 * seconds_per_day;
        default: return std::nullopt;
    }
}

}  // namespace

ExpiryThreshold::ExpiryThreshold(Rule rule, std::string text) : rule_(std::move(rule)), text_(std::move(text)) {}

Range ExpiryThreshold::days_range(double lifetime_days) const {
    const double lifetime = usable_lifetime(lifetime_days);
    double days_left = 0.0;
    if (const auto* fixed = std::get_if<FixedDays>(&rule_)) return fixed->days;
    if (const auto* share = std::get_if<PercentOfLifetime>(&rule_))
        days_left = lifetime * share->percent / 100.0;
    else if (const auto* capped = std::get_if<CappedShareOfLifetime>(&rule_))
        days_left = std::min(capped->cap_days, lifetime / capped->lifetime_divisor);
    // A lifetime too long to print (not one a real certificate can have, notAfter stops at
    // 9999) gets the widest range that still prints.
    if (auto range = at_least(days_left)) return *range;
    return at_least(0.0).value_or(Range{});
}

std::optional<Range> ExpiryThreshold::percent_range() const {
    if (const auto* share = std::get_if<PercentOfLifetime>(&rule_)) return share->percent_left;
    return std::nullopt;
}

const std::string& ExpiryThreshold::text() const { return text_; }

std::variant<ExpiryThreshold, RangeError> parse_expiry_threshold(std::string_view text) {
    using Threshold = ExpiryThreshold;
    if (text.empty())
        return RangeError{RangeErrorKind::empty, "bad threshold '': empty; " + std::string(wanted)};

    // Ranges and plain numbers mean what they meant before lifetimes mattered.
    if (text.find_first_of(":~@") != std::string_view::npos || parse_decimal(text)) {
        auto parsed = parse_days_threshold(text);
        if (auto* error = std::get_if<RangeError>(&parsed)) return std::move(*error);
        return Threshold(Threshold::FixedDays{std::get<Range>(std::move(parsed))}, std::string(text));
    }

    const std::string_view number = text.substr(0, text.size() - 1);
    const char suffix = text.back();

    if (suffix == '%') {
        const auto percent = parse_decimal(number);
        if (!percent) return bad_threshold(text, wanted);
        if (!(*percent > 0.0 && *percent <= 100.0))
            return bad_threshold(text, "a percentage of the lifetime must be above 0% and at most 100%");
        auto percent_left = at_least(*percent);
        if (!percent_left) return bad_threshold(text, wanted);
        return Threshold(Threshold::PercentOfLifetime{*percent, std::move(*percent_left)}, std::string(text));
    }

    const auto unit = seconds_per_unit(suffix);
    const auto amount = parse_decimal(number);
    if (!unit || !amount) return bad_threshold(text, wanted);
    // "-5d" would only alert 5 days after expiry, which is CRITICAL anyway: surely a typo.
    if (*amount < 0.0) return bad_threshold(text, "a duration must not be negative");
    auto days = at_least(*amount * *unit / seconds_per_day);
    if (!days) return bad_threshold(text, "too large to be a lead time");
    return Threshold(Threshold::FixedDays{std::move(*days)}, std::string(text));
}

ExpiryThreshold default_warning_threshold() {
    return ExpiryThreshold(ExpiryThreshold::CappedShareOfLifetime{30.0, 3.0}, "min(30d, 1/3 of lifetime)");
}

ExpiryThreshold default_critical_threshold() {
    return ExpiryThreshold(ExpiryThreshold::CappedShareOfLifetime{14.0, 6.0}, "min(14d, 1/6 of lifetime)");
}

}  // namespace tls_checks::plugin
