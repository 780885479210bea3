#include "plugin/duration_text.hpp"

#include <array>
#include <cmath>
#include <ctime>

#include "plugin/number.hpp"

namespace tls_checks::plugin {

namespace {

std::string count_of(const std::string& number, const char* unit) {
    return number + " " + unit + (number == "1" ? "" : "s");
}

}  // namespace

std::string remaining_text(double seconds) {
    const double duration = std::isnan(seconds) ? 0.0 : std::fabs(seconds);
    // Each unit is chosen by its rounded value, so 23.6 hours is "1 day", not "24 hours".
    if (duration >= 86400.0) return count_of(format_decimal(duration / 86400.0, 1), "day");
    const double hours = std::round(duration / 3600.0);
    if (hours >= 24.0) return "1 day";
    if (duration >= 3600.0) return count_of(format_decimal(hours, 0), "hour");
    const double minutes = std::round(duration / 60.0);
    if (minutes >= 60.0) return "1 hour";
    if (duration >= 60.0) return count_of(format_decimal(minutes, 0), "minute");
    const double whole_seconds = std::round(duration);
    if (whole_seconds >= 60.0) return "1 minute";
    return count_of(format_decimal(whole_seconds, 0), "second");
}

std::string utc_date(std::int64_t epoch) {
    const auto seconds = static_cast<std::time_t>(epoch);
    std::tm broken_down{};
    if (gmtime_r(&seconds, &broken_down) == nullptr) return "?";
    std::array<char, 32> text{};
    if (std::strftime(text.data(), text.size(), "%Y-%m-%d %H:%M UTC", &broken_down) == 0) return "?";
    return text.data();
}

std::string count_text(std::size_t count, const char* one, const char* many) {
    return std::to_string(count) + " " + (count == 1 ? one : many);
}

}  // namespace tls_checks::plugin
