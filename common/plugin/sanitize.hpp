#pragma once
// Text that came from a server or a certificate is untrusted: it must not be able to end the
// status line, start fake perfdata or flood the monitoring core.

#include <cstddef>
#include <string>
#include <string_view>

namespace tls_checks::plugin {

// Replaces control characters (C0, DEL, and bytes that are not valid UTF-8) with '?', the
// perfdata separator '|' with '!', and cuts the result to at most `max_bytes` bytes (never
// inside a UTF-8 sequence), marking a cut with "...".
std::string sanitize_text(std::string_view raw, std::size_t max_bytes = 200);

}  // namespace tls_checks::plugin
