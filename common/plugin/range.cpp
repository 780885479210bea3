#include "plugin/range.hpp"

#include "plugin/number.hpp"

namespace tls_checks::plugin {

bool Range::alerts(double value) const noexcept {
    const bool above_start = start_is_minus_infinity || value >= start;
    const bool below_end = end_is_plus_infinity || value <= end;
    const bool inside = above_start && below_end;
    return alert_inside ? inside : !inside;
}

namespace {

RangeError error(RangeErrorKind kind, std::string_view text, std::string_view why) {
    return RangeError{kind, "bad range '" + std::string(text) + "': " + std::string(why)};
}

std::string canonical(const Range& range) {
    std::string out = range.alert_inside ? "@" : "";
    if (range.start_is_minus_infinity) {
        out += "~:";
    } else if (range.start != 0.0 || range.end_is_plus_infinity) {
        out += format_decimal(range.start, 6) + ":";
    }
    if (!range.end_is_plus_infinity) out += format_decimal(range.end, 6);
    return out;
}

}  // namespace

std::variant<Range, RangeError> parse_range(std::string_view text) {
    if (text.empty()) return error(RangeErrorKind::empty, text, "empty");
    Range range;
    std::string_view rest = text;
    if (rest.front() == '@') {
        range.alert_inside = true;
        rest.remove_prefix(1);
        if (rest.empty()) return error(RangeErrorKind::empty, text, "nothing after '@'");
    }

    const auto colon = rest.find(':');
    std::string_view end_text = rest;
    if (colon != std::string_view::npos) {
        const std::string_view start_text = rest.substr(0, colon);
        end_text = rest.substr(colon + 1);
        if (end_text.find(':') != std::string_view::npos)
            return error(RangeErrorKind::trailing_junk, text, "more than one ':'");
        if (start_text == "~") {
            range.start_is_minus_infinity = true;
        } else if (!start_text.empty()) {  // ":10" keeps the default start of 0
            const auto start = parse_decimal(start_text);
            if (!start) return error(RangeErrorKind::bad_start, text, "start is not a number");
            range.start = *start;
        }
        if (end_text.empty()) range.end_is_plus_infinity = true;
    } else if (rest.find('~') != std::string_view::npos) {
        return error(RangeErrorKind::bad_end, text, "'~' is only allowed as the start, before ':'");
    }

    if (!range.end_is_plus_infinity) {
        const auto end = parse_decimal(end_text);
        if (!end) {
            // Distinguish "10x" (a number followed by junk) from "x".
            std::size_t numeric = 0;
            while (numeric < end_text.size() &&
                   ((end_text[numeric] >= '0' && end_text[numeric] <= '9') || end_text[numeric] == '.' ||
                    (numeric == 0 && (end_text[numeric] == '-' || end_text[numeric] == '+'))))
                ++numeric;
            if (numeric > 0 && parse_decimal(end_text.substr(0, numeric)))
                return error(RangeErrorKind::trailing_junk, text, "junk after the end value");
            return error(RangeErrorKind::bad_end, text, "end is not a number");
        }
        range.end = *end;
    }

    if (!range.start_is_minus_infinity && !range.end_is_plus_infinity && range.start > range.end)
        return error(RangeErrorKind::start_after_end, text, "start is greater than end");

    range.text = canonical(range);
    return range;
}

std::variant<Range, RangeError> parse_days_threshold(std::string_view text) {
    if (text.find_first_of(":~@") != std::string_view::npos) return parse_range(text);
    const auto days = parse_decimal(text);
    if (!days) {
        if (text.empty()) return error(RangeErrorKind::empty, text, "empty");
        return error(RangeErrorKind::bad_end, text, "not a number of days or a range");
    }
    return parse_range(format_decimal(*days, 6) + ":");
}

}  // namespace tls_checks::plugin
