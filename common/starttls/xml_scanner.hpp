#pragma once
// Just enough XML for the XMPP stream prologue (RFC 6120 4.3, 5.4): tags with attributes, their
// nesting, text and CDATA sections, read incrementally. Not a general parser: anything it cannot
// read is an error, never silently skipped. What RFC 6120 11.1 forbids in an XMPP stream is an
// error too, marked restricted(): a DTD (<!DOCTYPE>, <!ENTITY>, ...), a comment, a processing
// instruction other than the XML declaration before the first element, and an entity reference
// other than the five predefined ones (character references such as &#65; are decoded).

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
//
// Promises (tests/fuzz/fuzz_xml_scanner.cpp checks them): buffered() never exceeds the bytes fed
// nor max_pending; an event returned always consumed at least one byte; a tag event has a name
// without whitespace; a text event is not blank. An error is final: once error() is set, next()
// returns nullopt and feed() false.
class XmlScanner final : public net::ReceiveBuffer {
public:
    // Bytes that may wait unconsumed: more without a complete event is an error.
    static constexpr std::size_t max_pending = 64 * 1024;

    // Adds received bytes. Fails when the input cannot be XML (or exceeds `max_pending` unread).
    [[nodiscard]] bool feed(std::string_view bytes);
    // The next complete event, or nullopt when more bytes are needed (or on an error: see error()).
    std::optional<XmlEvent> next();
    [[nodiscard]] const std::string& error() const noexcept { return error_; }
    // The error is something RFC 6120 11.1 forbids (the receiving entity answers with a
    // <restricted-xml/> stream error), not XML this scanner cannot read.
    [[nodiscard]] bool restricted() const noexcept { return restricted_; }
    // Drops whitespace between elements (RFC 6120 4.6.1 whitespace keepalives) at the front of
    // what is unconsumed.
    void discard_whitespace() noexcept;
    // Bytes fed but not part of any event returned so far.
    [[nodiscard]] std::size_t buffered() const noexcept override { return buffer_.size() - position_; }

private:
    void fail(std::string message, bool restricted = false);

    std::string buffer_;
    std::size_t position_ = 0;
    std::string error_;
    bool restricted_ = false;
    bool declaration_allowed_ = true;  // until the first event or the XML declaration itself
};

}  // namespace tls_checks::starttls
