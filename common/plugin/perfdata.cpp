#include "plugin/perfdata.hpp"

#include "plugin/number.hpp"
#include "plugin/sanitize.hpp"

namespace tls_checks::plugin {

std::string_view unit_symbol(Unit unit) noexcept {
    switch (unit) {
        case Unit::none: return "";
        case Unit::seconds: return "s";
        case Unit::milliseconds: return "ms";
        case Unit::microseconds: return "us";
        case Unit::percent: return "%";
        case Unit::bytes: return "B";
        case Unit::kilobytes: return "KB";
        case Unit::megabytes: return "MB";
        case Unit::terabytes: return "TB";
        case Unit::counter: return "c";
    }
    return "";
}

namespace {

std::string format_label(std::string_view raw) {
    std::string label = sanitize_text(raw, 64);
    for (char& c : label) {
        if (c == '=' || c == '\'') c = '_';
    }
    if (label.empty()) label = "value";
    if (label.find(' ') != std::string::npos) return "'" + label + "'";
    return label;
}

}  // namespace

Perfdata count_perfdata(std::string label, std::size_t value) {
    Perfdata item;
    item.label = std::move(label);
    item.value = static_cast<double>(value);
    item.decimals = 0;
    item.min = 0;
    return item;
}

Perfdata seconds_perfdata(std::string label, std::chrono::duration<double> value) {
    Perfdata item;
    item.label = std::move(label);
    item.value = value.count();
    item.unit = Unit::seconds;
    item.decimals = 3;
    return item;
}

std::string format_perfdata(const Perfdata& item) {
    std::string fields[4];
    if (item.warning) fields[0] = item.warning->text;
    if (item.critical) fields[1] = item.critical->text;
    if (item.min) fields[2] = format_decimal(*item.min, item.decimals);
    if (item.max) fields[3] = format_decimal(*item.max, item.decimals);

    std::string out = format_label(item.label) + "=";
    out += item.value ? format_decimal(*item.value, item.decimals) : "U";
    if (item.value) out += unit_symbol(item.unit);

    int last = 3;
    while (last >= 0 && fields[last].empty()) --last;
    for (int i = 0; i <= last; ++i) out += ";" + fields[i];
    return out;
}

}  // namespace tls_checks::plugin
