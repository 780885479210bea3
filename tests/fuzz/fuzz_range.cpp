// libFuzzer target: the Nagios range parser and the expiry thresholds built on it (operator
// input, but still never a crash, a NaN range or an endless loop).
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "plugin/expiry_threshold.hpp"
#include "plugin/range.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)tls_checks::plugin::parse_range(text);
    (void)tls_checks::plugin::parse_days_threshold(text);
    const auto threshold = tls_checks::plugin::parse_expiry_threshold(text);
    if (const auto* parsed = std::get_if<tls_checks::plugin::ExpiryThreshold>(&threshold)) {
        for (const double lifetime : {-1.0, 0.0, 6.0, 398.0, 1e300}) (void)parsed->days_range(lifetime).alerts(1.0);
        (void)parsed->percent_range();
    }
    return 0;
}
