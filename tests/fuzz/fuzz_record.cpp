// libFuzzer target: TLS record framing (parse_record) over a buffer that holds several records,
// each fragment handed to parse_alert: never a read past the buffer, a size that does not
// advance, or a record larger than the buffer.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "tls/record.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tls_checks::tls;
    std::span<const std::uint8_t> buffer(data, size);
    while (!buffer.empty()) {
        const RecordParse parsed = parse_record(buffer);
        if (parsed.status != RecordStatus::complete) break;
        const Record& record = parsed.record;
        if (record.size == 0 || record.size > buffer.size() || record.fragment.size() + 5 != record.size) std::abort();
        if (record.type == ContentType::alert) {
            Alert alert;
            std::string error;
            if (parse_alert(record.fragment, alert, error)) (void)alert_name(alert.description);
        }
        buffer = buffer.subspan(record.size);
    }
    return 0;
}
