#pragma once
// Invariants several fuzz targets check of what the parsers give back.

#include <string>

namespace tls_checks::fuzz {

// An error message ends up on the plugin's status line: one line of printable ASCII, not empty.
inline bool one_printable_line(const std::string& message) {
    if (message.empty()) return false;
    for (const char c : message) {
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) return false;
    }
    return true;
}

}  // namespace tls_checks::fuzz
