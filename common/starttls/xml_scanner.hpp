#pragma once
// Just enough XML for the XMPP stream prologue (RFC 6120 4.3, 5.4): tags with attributes, their
// nesting and text, read incrementally. Not a general parser: no DTDs, no entities beyond the five
// predefined ones; anything it cannot read is an error, never silently skipped.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/line_reader.hpp"

namespace tls_checks::starttls {

struct XmlEvent {
    enum class Kind { start, end, empty, text } kind;
    std::string name;                                        // "stream:features"
    std::vector<std::pair<std::string, std::string>> attributes;
    std::string text;                                        // for text events

    [[nodiscard]] std::optional<std::string> attribute(std::string_view key) const;
};

// It stops right after each event it returns: what follows stays unconsumed and is counted by
// buffered(), so bytes sent in the same segment as the last element the dialog wanted (the
// <proceed/> that lets the handshake start) are seen, never swallowed.
class XmlScanner final : public net::ReceiveBuffer {
public:
    // Adds received bytes. Fails when the input cannot be XML (or exceeds `max_bytes` unread).
    [[nodiscard]] bool feed(std::string_view bytes);
    // The next complete event, or nullopt when more bytes are needed (or on an error: see error()).
    std::optional<XmlEvent> next();
    [[nodiscard]] const std::string& error() const noexcept { return error_; }
    // Drops whitespace between elements (RFC 6120 4.6.1 whitespace keepalives) at the front of
    // what is unconsumed.
    void discard_whitespace() noexcept;
    // Bytes fed but not part of any event returned so far.
    [[nodiscard]] std::size_t buffered() const noexcept override { return buffer_.size() - position_; }

private:
    std::string buffer_;
    std::size_t position_ = 0;
    std::string error_;
};

}  // namespace tls_checks::starttls
