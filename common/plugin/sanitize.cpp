#include "plugin/sanitize.hpp"

namespace tls_checks::plugin {

namespace {

// Length of the valid UTF-8 sequence at the start of `text`, or 0 when it is not valid
// (overlong forms, surrogates and code points above U+10FFFF are invalid; RFC 3629).
std::size_t utf8_sequence_length(std::string_view text) noexcept {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(0);
    std::size_t length = 0;
    unsigned long code_point = 0;
    if (lead < 0x80) return 1;
    if (lead >= 0xC2 && lead <= 0xDF) { length = 2; code_point = lead & 0x1Fu; }
    else if (lead >= 0xE0 && lead <= 0xEF) { length = 3; code_point = lead & 0x0Fu; }
    else if (lead >= 0xF0 && lead <= 0xF4) { length = 4; code_point = lead & 0x07u; }
    else return 0;
    if (text.size() < length) return 0;
    for (std::size_t i = 1; i < length; ++i) {
        if ((byte(i) & 0xC0u) != 0x80u) return 0;
        code_point = (code_point << 6u) | (byte(i) & 0x3Fu);
    }
    if (length == 3 && (code_point < 0x800 || (code_point >= 0xD800 && code_point <= 0xDFFF))) return 0;
    if (length == 4 && (code_point < 0x10000 || code_point > 0x10FFFF)) return 0;
    // C1 controls (U+0080..U+009F) are as dangerous as C0 ones in some terminals.
    if (length == 2 && code_point < 0xA0) return 0;
    return length;
}

// Invisible characters that move or hide text: zero-width space and joiners, the LRM/RLM marks
// (U+200B..U+200F), the bidi embeddings and overrides (U+202A..U+202E), the word joiner and
// invisible operators (U+2060..U+2065) and isolates (U+2066..U+2069), the line and paragraph separators (U+2028, U+2029) and the BOM / zero-width
// no-break space (U+FEFF). A subject with an RLO can make a web UI show a different name than
// the certificate holds (Trojan Source, CVE-2021-42574; Unicode UAX #9). All are three bytes long.
bool moves_or_hides_text(std::string_view sequence) noexcept {
    if (sequence.size() != 3) return false;
    const auto byte = [&](std::size_t i) {
        return static_cast<unsigned long>(static_cast<unsigned char>(sequence[i]));
    };
    const unsigned long code_point = ((byte(0) & 0x0Fu) << 12u) | ((byte(1) & 0x3Fu) << 6u) | (byte(2) & 0x3Fu);
    return (code_point >= 0x200B && code_point <= 0x200F) || (code_point >= 0x202A && code_point <= 0x202E) ||
           (code_point >= 0x2060 && code_point <= 0x2069) || code_point == 0x2028 || code_point == 0x2029 ||
           code_point == 0xFEFF;
}

}  // namespace

std::string sanitize_text(std::string_view raw, std::size_t max_bytes) {
    static constexpr std::string_view ellipsis = "...";
    std::string out;
    out.reserve(raw.size() < max_bytes ? raw.size() : max_bytes);
    std::size_t pos = 0;
    while (pos < raw.size()) {
        const std::size_t length = utf8_sequence_length(raw.substr(pos));
        std::string_view piece;
        char replacement = 0;
        if (length == 0) {
            replacement = '?';
        } else if (length == 1) {
            const auto c = static_cast<unsigned char>(raw[pos]);
            if (c < 0x20 || c == 0x7F) replacement = '?';
            else if (c == '|') replacement = '!';
            else piece = raw.substr(pos, 1);
        } else if (moves_or_hides_text(raw.substr(pos, length))) {
            replacement = '?';
        } else {
            piece = raw.substr(pos, length);
        }
        const std::size_t piece_size = replacement != 0 ? 1 : piece.size();
        if (out.size() + piece_size > max_bytes) {
            // Cut, keeping room for the marker when there is any.
            const std::size_t keep = max_bytes >= ellipsis.size() ? max_bytes - ellipsis.size() : 0;
            while (out.size() > keep) {
                // Drop one whole character: its continuation bytes, then its lead byte.
                while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0u) == 0x80u) out.pop_back();
                if (!out.empty()) out.pop_back();
            }
            if (max_bytes >= ellipsis.size()) out += ellipsis;
            return out;
        }
        if (replacement != 0) out.push_back(replacement);
        else out.append(piece);
        pos += length == 0 ? 1 : length;
    }
    return out;
}

}  // namespace tls_checks::plugin
