#pragma once
// Expiry thresholds (-w/-c of check_tls_cert) that may depend on the certificate's own lifetime.
// Fixed 30/14-day defaults stop making sense once lifetimes shrink: CA/Browser Forum ballot
// SC-081 caps TLS certificates at 200 days from 2026-03-15, 100 from 2027-03-15 and 47 from
// 2029-03-15, and Let's Encrypt issues 45- and 6-day certificates. A 6-day certificate always
// has fewer than 14 days left, so fixed days would keep it CRITICAL for its whole life.

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "plugin/range.hpp"

namespace tls_checks::plugin {

// One -w or -c value for a certificate's remaining validity. Resolved per certificate, because
// a percentage or the default depends on that certificate's own lifetime.
class ExpiryThreshold {
public:
    // The range on days left for a certificate whose whole lifetime (notAfter - notBefore) is
    // `lifetime_days`. Always of the form "X:" for days, durations, percentages and the
    // defaults; for a full Nagios range, that range. A lifetime that is negative or not finite
    // (broken certificate dates) counts as 0, so percentages and defaults become "0:".
    [[nodiscard]] Range days_range(double lifetime_days) const;

    // When the user gave a percentage: the range on percent of lifetime left ("33:"), for the
    // life_left perfdata; nullopt otherwise.
    [[nodiscard]] std::optional<Range> percent_range() const;

    // As the user typed it, or a description of the default ("min(30d, 1/3 of lifetime)").
    [[nodiscard]] const std::string& text() const;

private:
    // A fixed range on days left: plain days, a duration, or a full Nagios range.
    struct FixedDays {
        Range days;
    };
    // "33%": alert when fewer than `percent` of the lifetime is left.
    struct PercentOfLifetime {
        double percent;
        Range percent_left;
    };
    // The defaults: alert when fewer than min(cap_days, lifetime / lifetime_divisor) are left.
    struct CappedShareOfLifetime {
        double cap_days;
        double lifetime_divisor;
    };
    using Rule = std::variant<FixedDays, PercentOfLifetime, CappedShareOfLifetime>;

    ExpiryThreshold(Rule rule, std::string text);

    friend std::variant<ExpiryThreshold, RangeError> parse_expiry_threshold(std::string_view text);
    friend ExpiryThreshold default_warning_threshold();
    friend ExpiryThreshold default_critical_threshold();

    Rule rule_;
    std::string text_;
};

// Accepts:
//   - a plain number of days ("30", "2.5"): fewer than that many days left (as
//     parse_days_threshold, which it delegates to);
//   - a duration with a unit s, m, h, d or w ("36h", "90m", "10d", "1.5d", "2w"), not negative;
//   - a percentage of the certificate's own lifetime left ("33%", "12.5%"; 0 < p <= 100);
//   - a Nagios range on days left (contains ':', '~' or '@'; delegated to parse_range).
// Anything else (junk, "10x", "%", "d", "-5d", "101%", "0%", "", "10 d", "1e3", "10dd",
// "10%%") is a RangeError whose message names the value and what is wanted.
std::variant<ExpiryThreshold, RangeError> parse_expiry_threshold(std::string_view text);

// ACME clients renew when about 1/3 of the lifetime is left, so a certificate with less than
// that has missed its renewal and a human should look; 1/6 leaves half of that time to act:
//   WARNING when fewer than min(30 days, 1/3 of the lifetime) are left,
//   CRITICAL when fewer than min(14 days, 1/6 of the lifetime) are left.
// 398 days -> 30 / 14; 90 days -> 30 / 14 (the old fixed defaults); 45 days -> 15 / 7.5;
// 6 days -> 2 / 1.
ExpiryThreshold default_warning_threshold();
ExpiryThreshold default_critical_threshold();

}  // namespace tls_checks::plugin
