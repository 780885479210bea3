#pragma once
// Text that came from a server or a certificate is untrusted: it must not be able to end the
// status line, start fake perfdata or flood the monitoring core.

#include <cstddef>
#include <string>
#include <string_view>

namespace tls_checks::plugin {

// Replaces control characters (C0, DEL, C1) and bytes that are not valid UTF-8 with '?', one per
// byte; the invisible characters that reorder or hide text (U+200B..U+200F, U+202A..U+202E,
// U+2066..U+2069, U+2028, U+2029, U+FEFF; Trojan Source, CVE-2021-42574) with one '?' each; the
// perfdata separator '|' with '!'. Cuts the result to at most `max_bytes` bytes (never inside a
// UTF-8 sequence), marking a cut with "...".
std::string sanitize_text(std::string_view raw, std::size_t max_bytes = 200);

}  // namespace tls_checks::plugin
