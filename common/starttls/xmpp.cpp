// XMPP client and server streams (RFC 6120 5.4.2): open a stream, read <stream:features>, send
// <starttls/>, expect <proceed/>. After TLS the stream restarts and features are read again.
#include <span>

#include "net/resolve.hpp"
#include "starttls/binary_dialogs.hpp"
#include "starttls/sasl.hpp"
#include "starttls/text_dialog.hpp"
#include "starttls/xml_scanner.hpp"

namespace tls_checks::starttls {

namespace {

constexpr std::string_view tls_namespace = "urn:ietf:params:xml:ns:xmpp-tls";

std::string xml_escape(const std::string& text) {
    std::string out;
    for (const char c : text) {
        switch (c) {
            case '\'': out += "&apos;"; break;
            case '"': out += "&quot;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '&': out += "&amp;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string stream_header(bool server, const std::string& domain) {
    return "<?xml version='1.0'?><stream:stream xmlns='" + std::string(server ? "jabber:server" : "jabber:client") +
           "' xmlns:stream='http://etherx.jabber.org/streams' to='" + xml_escape(domain) + "' version='1.0'>";
}

// The scanner's error as the dialog's. RFC 6120 11.1: on restricted XML (a DTD, a comment, a
// processing instruction, an entity reference) the receiving entity closes the stream with a
// <restricted-xml/> stream error; it is sent on a best-effort basis, the dialog fails either way.
DialogError scanner_failure(const XmlScanner& scanner, net::LineReader& reader, const net::Deadline& deadline) {
    if (scanner.restricted()) {
        constexpr std::string_view close = "<stream:error><restricted-xml xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                                           "</stream:error></stream:stream>";
        (void)reader.stream().write_all(std::span(reinterpret_cast<const unsigned char*>(close.data()), close.size()), deadline);
    }
    return DialogError{DialogFailure::protocol_error, scanner.error(), {}};
}

// Reads events until `done` says the wanted one has arrived.
template <class Until>
Expected<Done, DialogError> read_events(XmlScanner& scanner, net::LineReader& reader, const net::Deadline& deadline,
                                        Until&& done) {
    // RFC 6120 4.9.2: <stream:error> holds one defined condition element (<host-unknown/>, ...)
    // in the urn:ietf:params:xml:ns:xmpp-streams namespace; its name is what an operator needs.
    bool in_stream_error = false;
    const auto stream_error = [](std::string_view condition) {
        std::string message = "the server sent stream error";
        if (!condition.empty()) message += " " + std::string(condition);
        return unexpected(DialogError{DialogFailure::refused, std::move(message), {}});
    };
    for (;;) {
        while (auto event = scanner.next()) {
            using Kind = XmlEvent::Kind;
            if (in_stream_error) {
                if (event->kind == Kind::start || event->kind == Kind::empty) {
                    if (event->attribute("xmlns") == "urn:ietf:params:xml:ns:xmpp-streams") return stream_error(event->name);
                } else if (event->kind == Kind::end && event->name == "stream:error") {
                    return stream_error("");
                }
                continue;
            }
            if (event->name == "stream:error") {
                if (event->kind == Kind::empty) return stream_error("");
                in_stream_error = true;
                continue;
            }
            if (done(*event)) return Done{};
        }
        if (!scanner.error().empty()) return unexpected(scanner_failure(scanner, reader, deadline));
        auto bytes = reader.read_available(deadline);
        if (!bytes) return in_stream_error ? stream_error("") : unexpected(dialog_error(bytes.error()));
        if (!scanner.feed(*bytes)) return unexpected(scanner_failure(scanner, reader, deadline));
    }
}

struct Features {
    std::vector<std::string> entries;  // "starttls (required)", "mechanisms PLAIN SCRAM-SHA-1"
    bool starttls = false;
    std::vector<std::string> mechanisms;
};

// Reads up to and including </stream:features>, recording its direct children.
Expected<Features, DialogError> read_features(XmlScanner& scanner, net::LineReader& reader, const net::Deadline& deadline) {
    Features features;
    bool stream_open = false;
    int depth = 0;  // inside <stream:features>
    bool in_mechanism = false;
    auto done = read_events(scanner, reader, deadline, [&](const XmlEvent& event) {
        using Kind = XmlEvent::Kind;
        if (!stream_open) {
            if (event.kind == Kind::start && event.name == "stream:stream") stream_open = true;
            return false;
        }
        if (depth == 0) {
            if (event.kind == Kind::start && event.name == "stream:features") depth = 1;
            if (event.kind == Kind::empty && event.name == "stream:features") return true;
            return false;
        }
        if (event.kind == Kind::end && event.name == "stream:features") return true;
        if (depth == 1 && (event.kind == Kind::start || event.kind == Kind::empty)) {
            features.entries.push_back(event.name);
            if (event.name == "starttls" && event.attribute("xmlns") == tls_namespace) features.starttls = true;
        }
        if (event.kind == Kind::start) ++depth;
        if (event.kind == Kind::end) --depth;
        if (event.name == "mechanism") in_mechanism = event.kind == Kind::start;
        if (event.kind == Kind::text && in_mechanism) {
            features.mechanisms.push_back(event.text);
            if (!features.entries.empty()) features.entries.back() += " " + event.text;
        }
        if (depth == 2 && (event.kind == Kind::start || event.kind == Kind::empty) && event.name == "required" &&
            !features.entries.empty())
            features.entries.back() += " (required)";
        return false;
    });
    if (!done) return unexpected(std::move(done.error()));
    return features;
}

// After <proceed ...> as a start tag: the events up to and including its end tag.
Expected<Done, DialogError> read_to_end_of_element(XmlScanner& scanner, net::LineReader& reader,
                                                   const net::Deadline& deadline) {
    int depth = 0;
    return read_events(scanner, reader, deadline, [&](const XmlEvent& event) {
        if (event.kind == XmlEvent::Kind::start) ++depth;
        if (event.kind != XmlEvent::Kind::end) return false;
        if (depth == 0) return true;
        --depth;
        return false;
    });
}

Expected<DialogResult, DialogError> upgrade_xmpp(bool server, DialogChannel& channel, const DialogOptions& options,
                                                 const net::Deadline& deadline) {
    DialogResult result;
    // The scanner belongs to the channel: the bytes it holds beyond <proceed/> are asked for
    // after this function has returned.
    XmlScanner& scanner = channel.stack<XmlScanner>();
    net::LineReader& reader = channel.reader();
    if (auto sent = channel.send(stream_header(server, options.xmpp_domain), deadline); !sent)
        return unexpected(std::move(sent.error()));
    auto features = read_features(scanner, reader, deadline);
    if (!features) {
        auto error = std::move(features.error());
        // The stream is opened to the XMPP domain, which defaults to -H: an address there is
        // never a domain the server hosts.
        if (error.message.ends_with("host-unknown") && net::is_ip_literal(options.xmpp_domain))
            error.message += " (the stream was opened to " + options.xmpp_domain +
                             ", an address: set --xmpp-domain to the XMPP domain)";
        return unexpected(std::move(error));
    }
    result.greeting_at = std::chrono::steady_clock::now();
    result.capabilities = features->entries;
    result.plaintext_login_visible = true;
    // RFC 6120 6.4.1: <mechanisms> lists what SASL takes before TLS too.
    if (const auto offered = sasl::password_mechanisms(features->mechanisms); !offered.empty()) {
        std::string names;
        for (const auto& mechanism : offered) names += (names.empty() ? "" : " ") + mechanism;
        result.plaintext_login = "SASL " + names + " offered before STARTTLS";
    }
    if (!features->starttls) return unexpected(DialogError{DialogFailure::not_offered, "the stream features do not list it", features->entries});
    // Whitespace between top-level elements is allowed (RFC 6120 4.6.1); anything else already
    // there when <starttls/> is due answers it before it was asked.
    scanner.discard_whitespace();
    if (auto sent = channel.send_starttls("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", deadline); !sent)
        return unexpected(std::move(sent.error()));
    std::optional<XmlEvent> answer;
    auto done = read_events(scanner, reader, deadline, [&](const XmlEvent& event) {
        if (event.kind == XmlEvent::Kind::start || event.kind == XmlEvent::Kind::empty) answer = event;
        return answer.has_value();
    });
    if (!done) return unexpected(std::move(done.error()));
    if (answer->name == "failure") return unexpected(DialogError{DialogFailure::refused, "<failure/> in answer to <starttls/>", {}});
    if (answer->name != "proceed") return unexpected(DialogError{DialogFailure::protocol_error, "<" + answer->name + "> in answer to <starttls/>", {}});
    // "<proceed ...></proceed>": the go-ahead ends with its end tag, which may still be in flight.
    // The scanner stops there; whatever follows stays in it and counts as sent after the go-ahead.
    if (answer->kind == XmlEvent::Kind::start) {
        if (auto closed = read_to_end_of_element(scanner, reader, deadline); !closed) return unexpected(std::move(closed.error()));
    }
    channel.go_ahead();
    return result;
}

Expected<std::vector<std::string>, DialogError> xmpp_after_tls(bool server, net::LineReader& reader,
                                                               const DialogOptions& options, const net::Deadline& deadline) {
    XmlScanner scanner;
    DialogChannel channel(reader);  // over TLS: no STARTTLS step, no go-ahead
    if (auto sent = channel.send(stream_header(server, options.xmpp_domain), deadline); !sent)
        return unexpected(std::move(sent.error()));
    auto features = read_features(scanner, reader, deadline);
    if (!features) return unexpected(std::move(features.error()));
    return features->entries;
}

}  // namespace

Expected<DialogResult, DialogError> upgrade_xmpp_client(DialogChannel& channel, const DialogOptions& options,
                                                        const net::Deadline& deadline) {
    return upgrade_xmpp(false, channel, options, deadline);
}

Expected<DialogResult, DialogError> upgrade_xmpp_server(DialogChannel& channel, const DialogOptions& options,
                                                        const net::Deadline& deadline) {
    return upgrade_xmpp(true, channel, options, deadline);
}

Expected<std::vector<std::string>, DialogError> xmpp_capabilities_after_tls(bool server, net::LineReader& reader,
                                                                            const DialogOptions& options,
                                                                            const net::Deadline& deadline) {
    return xmpp_after_tls(server, reader, options, deadline);
}

}  // namespace tls_checks::starttls
