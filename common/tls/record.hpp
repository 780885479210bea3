#pragma once
// TLS record framing for the raw version probes (RFC 8446, section 5.1; RFC 5246, section 6.2),
// read from a growing buffer without ever trusting a length before it is checked.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace tls_checks::tls {

enum class ContentType : std::uint8_t {
    change_cipher_spec = 20,
    alert = 21,
    handshake = 22,
    application_data = 23,
};

enum class RecordStatus { need_more, complete, malformed };

struct Record {
    ContentType type = ContentType::handshake;
    std::uint16_t version = 0;                // record-layer version, e.g. 0x0303
    std::span<const std::uint8_t> fragment;   // points into the caller's buffer
    std::size_t size = 0;                     // header + fragment: what to drop from the buffer
};

struct RecordParse {
    RecordStatus status = RecordStatus::need_more;
    Record record;       // valid when complete
    std::string error;   // set when malformed: "record: unknown content type 72" (an HTTP reply)
};

// Looks at the first record in `buffer`. NeedMore until the 5-byte header and the whole fragment
// are there; Malformed for an unknown content type, a major version other than 3, an empty
// fragment, or a length over 2^14 + 2048 (the most any record may carry, RFC 5246 6.2.3).
RecordParse parse_record(std::span<const std::uint8_t> buffer);

enum class AlertLevel : std::uint8_t { warning = 1, fatal = 2 };

struct Alert {
    std::uint8_t level = 0;
    std::uint8_t description = 0;  // RFC 8446 6: 40 handshake_failure, 70 protocol_version, 86 inappropriate_fallback, ...
};

// An alert record's fragment is exactly two bytes (RFC 8446, section 6).
bool parse_alert(std::span<const std::uint8_t> fragment, Alert& alert, std::string& error);

// "handshake_failure", "protocol_version", ... or "alert 123" for one we do not name.
std::string alert_name(std::uint8_t description);

}  // namespace tls_checks::tls
