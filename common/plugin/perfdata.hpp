#pragma once
// Performance data: 'label'=value[UOM];[warn];[crit];[min];[max]

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "plugin/range.hpp"

namespace tls_checks::plugin {

enum class Unit { none, seconds, milliseconds, microseconds, percent, bytes, kilobytes, megabytes, terabytes, counter };

std::string_view unit_symbol(Unit unit) noexcept;

struct Perfdata {
    std::string label;
    std::optional<double> value;  // nullopt prints "U"
    Unit unit = Unit::none;
    int decimals = 2;             // digits after the point at most
    std::optional<Range> warning;
    std::optional<Range> critical;
    std::optional<double> min;
    std::optional<double> max;
};

// A count, whole and never negative ("addresses=3;;;0").
Perfdata count_perfdata(std::string label, std::size_t value);

// A duration in seconds with millisecond resolution ("time=0.012s").
Perfdata seconds_perfdata(std::string label, std::chrono::duration<double> value);

// One item, formatted per the guidelines: the label is quoted when it holds a space, '=' and '\''
// (which no quoting can carry) become '_', '.' is the decimal point, empty trailing fields dropped.
std::string format_perfdata(const Perfdata& item);

}  // namespace tls_checks::plugin
