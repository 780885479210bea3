// libFuzzer target: the XMPP dialog's XML scanner (starttls/xml_scanner.hpp) over arbitrary bytes
// cut into reads. The first byte sets the read size (low 6 bits, 1 to 64 bytes) and whether
// whitespace is discarded after each event (bit 6, as the dialog does before <starttls/>); the
// rest is the server's stream. Checked after every call: buffered() never exceeds the bytes fed
// nor max_pending, a successful feed adds exactly its bytes, a failed one none; an event always
// consumes at least one byte and holds no more than it consumed (references only shrink); tag
// names are non-empty and without whitespace, text is not blank; an error is final; and (without
// whitespace discarded) the events and the error do not depend on where the reads end.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "starttls/xml_scanner.hpp"

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

void check_event(const tls_checks::starttls::XmlEvent& event, std::size_t consumed) {
    using Kind = tls_checks::starttls::XmlEvent::Kind;
    if (consumed == 0) std::abort();
    std::size_t held = event.name.size() + event.text.size();
    for (const auto& [key, value] : event.attributes) held += key.size() + value.size();
    if (held > consumed) std::abort();
    if (event.kind == Kind::text) {
        bool blank = true;
        for (const char c : event.text) blank = blank && is_space(c);
        if (blank || !event.name.empty() || !event.attributes.empty()) std::abort();
    } else {
        if (event.name.empty()) std::abort();
        for (const char c : event.name) {
            if (is_space(c)) std::abort();
        }
    }
}

// The events and the error as one string: what is compared between reads.
void record(std::string& transcript, const tls_checks::starttls::XmlEvent& event) {
    transcript += std::to_string(static_cast<int>(event.kind)) + " " + event.name + " " + event.text;
    for (const auto& [key, value] : event.attributes) transcript += " " + key + "=" + value;
    transcript += "\n";
}

// Scans `stream` in reads of `piece` bytes, checking every promise; returns the transcript.
std::string scan(std::string_view stream, std::size_t piece, bool discard) {
    using tls_checks::starttls::XmlScanner;
    std::string transcript;
    XmlScanner scanner;
    std::size_t fed = 0;
    for (std::size_t at = 0; at < stream.size(); at += piece) {
        const std::string_view chunk = stream.substr(at, piece);
        const std::size_t before = scanner.buffered();
        if (scanner.feed(chunk)) {
            fed += chunk.size();
            if (scanner.buffered() != before + chunk.size()) std::abort();
        } else {
            if (scanner.error().empty() || scanner.buffered() != before) std::abort();
            break;
        }
        for (;;) {
            const std::size_t waiting = scanner.buffered();
            const auto event = scanner.next();
            if (!event) {
                if (scanner.buffered() > waiting) std::abort();
                break;
            }
            if (!scanner.error().empty() || scanner.buffered() >= waiting) std::abort();
            check_event(*event, waiting - scanner.buffered());
            record(transcript, *event);
            if (discard) {
                const std::size_t kept = scanner.buffered();
                scanner.discard_whitespace();
                if (scanner.buffered() > kept) std::abort();
            }
        }
        if (scanner.buffered() > fed || scanner.buffered() > XmlScanner::max_pending) std::abort();
        if (!scanner.error().empty()) {
            // Final: nothing more is read, nothing more is taken.
            const std::string error = scanner.error();
            const std::size_t left = scanner.buffered();
            if (scanner.next() || scanner.feed("<a/>") || scanner.error() != error || scanner.buffered() != left) std::abort();
            break;
        }
    }
    if (scanner.buffered() > fed) std::abort();
    if (scanner.restricted() && scanner.error().find("RFC 6120 11.1") == std::string::npos) std::abort();
    return transcript + "error " + scanner.error() + (scanner.restricted() ? " (restricted)" : "") + "\n";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::size_t piece = 1 + (data[0] & 0x3Fu);
    const bool discard = (data[0] & 0x40u) != 0;
    const std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
    const std::string pieces = scan(stream, piece, discard);
    // Without whitespace discarded (which acts on what has arrived so far), the events and the
    // error do not depend on where the reads end: all the bytes in one read give the same.
    if (!discard && stream.size() <= tls_checks::starttls::XmlScanner::max_pending &&
        scan(stream, std::max<std::size_t>(stream.size(), 1), false) != pieces)
        std::abort();
    return 0;
}
