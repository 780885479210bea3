#pragma once
// Code points as operators read them in RFCs and IANA tables: "0xC02F".

#include <cstdint>
#include <span>
#include <string>

namespace tls_checks::wire {

inline std::string hex16(std::uint16_t value) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out = "0x";
    for (unsigned shift = 16; shift > 0;) {
        shift -= 4;
        out += digits[(static_cast<unsigned>(value) >> shift) & 0xFu];
    }
    return out;
}

// Bytes as lower-case hex, as DNS zone files and fingerprints show them: "ab12".
inline std::string to_hex(std::span<const std::uint8_t> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const std::uint8_t byte : bytes) {
        out += digits[byte >> 4];
        out += digits[byte & 0xFu];
    }
    return out;
}

}  // namespace tls_checks::wire
