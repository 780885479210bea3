// libFuzzer target: the Nagios range parser (operator input, but still never a crash).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "plugin/range.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)tls_checks::plugin::parse_range(text);
    (void)tls_checks::plugin::parse_days_threshold(text);
    return 0;
}
