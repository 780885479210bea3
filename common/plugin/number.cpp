#include "plugin/number.hpp"

#include <array>
#include <charconv>
#include <cmath>

namespace tls_checks::plugin {

std::optional<double> parse_decimal(std::string_view text) noexcept {
    std::size_t pos = 0;
    if (pos < text.size() && (text[pos] == '-' || text[pos] == '+')) ++pos;
    const std::size_t digits_start = pos;
    std::size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') { ++pos; ++digits; }
    if (pos < text.size() && text[pos] == '.') {
        ++pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') { ++pos; ++digits; }
    }
    if (digits == 0 || pos != text.size()) return std::nullopt;

    // from_chars does not take a leading '+'; the grammar above is already checked.
    std::string_view unsigned_part = text.substr(digits_start);
    double magnitude = 0.0;
    const auto [end, ec] = std::from_chars(unsigned_part.data(), unsigned_part.data() + unsigned_part.size(),
                                           magnitude, std::chars_format::fixed);
    if (ec != std::errc{} || end != unsigned_part.data() + unsigned_part.size()) return std::nullopt;
    if (!std::isfinite(magnitude)) return std::nullopt;
    return (!text.empty() && text.front() == '-') ? -magnitude : magnitude;
}

std::string format_decimal(double value, int decimals) {
    if (!std::isfinite(value)) return "U";
    std::array<char, 64> buffer{};
    const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                         std::chars_format::fixed, decimals);
    if (ec != std::errc{}) return "U";
    std::string out(buffer.data(), end);
    if (out.find('.') != std::string::npos) {
        while (!out.empty() && out.back() == '0') out.pop_back();
        if (!out.empty() && out.back() == '.') out.pop_back();
    }
    if (out == "-0") out = "0";
    return out;
}

}  // namespace tls_checks::plugin
