#include "tls/record.hpp"

#include "wire/byte_reader.hpp"

namespace tls_checks::tls {

namespace {

constexpr std::size_t header_size = 5;
constexpr std::size_t max_fragment = (1u << 14u) + 2048u;

bool known_content_type(std::uint8_t type) { return type >= 20 && type <= 23; }

}  // namespace

RecordParse parse_record(std::span<const std::uint8_t> buffer) {
    RecordParse result;
    // The content type alone already tells a non-TLS answer ("HTTP/1.1 400", "220 smtp") apart;
    // say so at once instead of waiting for a header that will never make sense.
    if (!buffer.empty() && !known_content_type(buffer.front())) {
        result.status = RecordStatus::malformed;
        result.error = "record: unknown content type " + std::to_string(buffer.front());
        return result;
    }
    if (buffer.size() < header_size) return result;

    wire::ByteReader reader(buffer, "record");
    std::uint8_t type = 0;
    std::uint16_t version = 0;
    wire::ByteReader fragment;
    if (!reader.read_u8(type) || !reader.read_u16(version)) return result;
    if ((version >> 8u) != 3) {
        result.status = RecordStatus::malformed;
        result.error = "record: version major " + std::to_string(version >> 8u) + " is not 3";
        return result;
    }
    std::uint16_t length = 0;
    {
        wire::ByteReader peek = reader;
        if (!peek.read_u16(length)) return result;
    }
    if (length == 0 || length > max_fragment) {
        result.status = RecordStatus::malformed;
        result.error = "record: fragment length " + std::to_string(length) + " outside 1.." + std::to_string(max_fragment);
        return result;
    }
    if (!reader.read_vector(2, 1, max_fragment, fragment, "fragment")) return result;  // not all there yet

    result.status = RecordStatus::complete;
    result.record.type = static_cast<ContentType>(type);
    result.record.version = version;
    result.record.fragment = fragment.rest();
    result.record.size = header_size + length;
    return result;
}

bool parse_alert(std::span<const std::uint8_t> fragment, Alert& alert, std::string& error) {
    wire::ByteReader reader(fragment, "alert");
    const bool ok = reader.read_u8(alert.level) && reader.read_u8(alert.description) && reader.expect_empty();
    if (!ok) error = reader.error();
    return ok;
}

std::string alert_name(std::uint8_t description) {
    switch (description) {
        case 0: return "close_notify";
        case 10: return "unexpected_message";
        case 20: return "bad_record_mac";
        case 22: return "record_overflow";
        case 40: return "handshake_failure";
        case 42: return "bad_certificate";
        case 47: return "illegal_parameter";
        case 50: return "decode_error";
        case 51: return "decrypt_error";
        case 70: return "protocol_version";
        case 71: return "insufficient_security";
        case 80: return "internal_error";
        case 86: return "inappropriate_fallback";
        case 90: return "user_canceled";
        case 109: return "missing_extension";
        case 110: return "unsupported_extension";
        case 112: return "unrecognized_name";
        case 120: return "no_application_protocol";
        default: return "alert " + std::to_string(description);
    }
}

}  // namespace tls_checks::tls
