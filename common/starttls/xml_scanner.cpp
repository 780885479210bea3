#include "starttls/xml_scanner.hpp"

#include <array>
#include <cstdint>

namespace tls_checks::starttls {

namespace {

// What RFC 6120 11.1 forbids, named in every such error.
constexpr std::string_view restricted_xml = " (RFC 6120 11.1 restricted XML)";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool blank(std::string_view text) {
    for (const char c : text) {
        if (!is_space(c)) return false;
    }
    return true;
}

struct Problem {
    std::string message;
    bool restricted = false;
};

// "&name;" as shown in a message: at most 32 bytes of the name.
std::string shown_reference(std::string_view name) {
    if (name.size() > 32) return "&" + std::string(name.substr(0, 32)) + "...;";
    return "&" + std::string(name) + ";";
}

void append_utf8(std::string& out, std::uint32_t code) {
    const auto byte = [](std::uint32_t value) { return static_cast<char>(static_cast<unsigned char>(value)); };
    if (code < 0x80) {
        out += byte(code);
    } else if (code < 0x800) {
        out += byte(0xC0 | (code >> 6u));
        out += byte(0x80 | (code & 0x3Fu));
    } else if (code < 0x10000) {
        out += byte(0xE0 | (code >> 12u));
        out += byte(0x80 | ((code >> 6u) & 0x3Fu));
        out += byte(0x80 | (code & 0x3Fu));
    } else {
        out += byte(0xF0 | (code >> 18u));
        out += byte(0x80 | ((code >> 12u) & 0x3Fu));
        out += byte(0x80 | ((code >> 6u) & 0x3Fu));
        out += byte(0x80 | (code & 0x3Fu));
    }
}

// A character reference (XML 1.0 4.1) without its "&#" and ";": "65" or "x41".
bool append_character_reference(std::string_view digits, std::string& out) {
    const bool hex = !digits.empty() && digits.front() == 'x';
    if (hex) digits.remove_prefix(1);
    if (digits.empty() || digits.size() > 8) return false;  // 8 digits fit 32 bits in either base
    std::uint32_t code = 0;
    for (const char c : digits) {
        std::uint32_t value = 0;
        if (c >= '0' && c <= '9') value = static_cast<std::uint32_t>(c - '0');
        else if (hex && c >= 'a' && c <= 'f') value = static_cast<std::uint32_t>(c - 'a' + 10);
        else if (hex && c >= 'A' && c <= 'F') value = static_cast<std::uint32_t>(c - 'A' + 10);
        else return false;
        code = code * (hex ? 16u : 10u) + value;
    }
    // XML 1.0 2.2: Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
    const bool character = code == 0x9 || code == 0xA || code == 0xD || (code >= 0x20 && code <= 0xD7FF) ||
                           (code >= 0xE000 && code <= 0xFFFD) || (code >= 0x10000 && code <= 0x10FFFF);
    if (!character) return false;
    append_utf8(out, code);
    return true;
}

// Text or an attribute value with its references resolved: the five predefined entities (XML 1.0
// 4.6) and character references. Any other entity reference is restricted XML. The result is
// never longer than `text`.
bool unescape(std::string_view text, std::string& out, Problem& problem) {
    out.clear();
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '&') {
            out += text[i];
            continue;
        }
        const auto semicolon = text.find(';', i + 1);
        if (semicolon == std::string_view::npos) {
            problem = {"malformed XML: '&' without its ';'", false};
            return false;
        }
        const auto name = text.substr(i + 1, semicolon - i - 1);
        i = semicolon;
        if (name == "lt") out += '<';
        else if (name == "gt") out += '>';
        else if (name == "amp") out += '&';
        else if (name == "apos") out += '\'';
        else if (name == "quot") out += '"';
        else if (!name.empty() && name.front() == '#') {
            if (!append_character_reference(name.substr(1), out)) {
                problem = {"malformed XML: the character reference " + shown_reference(name) + " names no character", false};
                return false;
            }
        } else {
            problem = {"XMPP server sent the entity reference " + shown_reference(name) + std::string(restricted_xml), true};
            return false;
        }
    }
    return true;
}

// Parses the inside of "<...>" (without the brackets) into an event.
std::optional<XmlEvent> parse_tag(std::string_view inside, Problem& problem) {
    XmlEvent event;
    event.kind = XmlEvent::Kind::start;
    if (!inside.empty() && inside.front() == '/') {
        event.kind = XmlEvent::Kind::end;
        inside.remove_prefix(1);
    } else if (!inside.empty() && inside.back() == '/') {
        event.kind = XmlEvent::Kind::empty;
        inside.remove_suffix(1);
    }
    std::size_t pos = 0;
    while (pos < inside.size() && !is_space(inside[pos])) ++pos;
    event.name = std::string(inside.substr(0, pos));
    if (event.name.empty()) {
        problem = {"XML tag without a name", false};
        return std::nullopt;
    }
    while (pos < inside.size()) {
        while (pos < inside.size() && is_space(inside[pos])) ++pos;
        if (pos >= inside.size()) break;
        const auto equals = inside.find('=', pos);
        if (equals == std::string_view::npos || equals + 1 >= inside.size()) {
            problem = {"XML attribute without a value in <" + event.name + ">", false};
            return std::nullopt;
        }
        std::string key(inside.substr(pos, equals - pos));
        while (!key.empty() && is_space(key.back())) key.pop_back();
        std::size_t value_start = equals + 1;
        while (value_start < inside.size() && is_space(inside[value_start])) ++value_start;
        const char quote = value_start < inside.size() ? inside[value_start] : '\0';
        if (quote != '\'' && quote != '"') {
            problem = {"XML attribute value not quoted in <" + event.name + ">", false};
            return std::nullopt;
        }
        const auto close = inside.find(quote, value_start + 1);
        if (close == std::string_view::npos) {
            problem = {"XML attribute value not closed in <" + event.name + ">", false};
            return std::nullopt;
        }
        std::string value;
        if (!unescape(inside.substr(value_start + 1, close - value_start - 1), value, problem)) return std::nullopt;
        event.attributes.emplace_back(std::move(key), std::move(value));
        pos = close + 1;
    }
    return event;
}

// What a '<' opens, told from as few bytes as decide it (so that a DTD is refused as soon as
// "<!DOCTYPE" has arrived, not once a '>' follows).
enum class Markup { need_more, element, declaration, cdata, comment, doctype, dtd_declaration, processing_instruction, malformed };

struct Opening {
    std::string_view text;
    Markup markup;
};

constexpr std::array<Opening, 7> bang_openings{{
    {"<!--", Markup::comment},
    {"<![CDATA[", Markup::cdata},
    {"<!DOCTYPE", Markup::doctype},
    {"<!ENTITY", Markup::dtd_declaration},
    {"<!ELEMENT", Markup::dtd_declaration},
    {"<!ATTLIST", Markup::dtd_declaration},
    {"<!NOTATION", Markup::dtd_declaration},
}};

constexpr std::string_view cdata_open = "<![CDATA[";
constexpr std::string_view cdata_close = "]]>";
constexpr std::string_view declaration_open = "<?xml";

// `at` starts with '<'; `opening` is set to the matched "<!..." for the bang forms.
Markup classify(std::string_view at, std::string_view& opening) {
    if (at.size() < 2) return Markup::need_more;
    if (at[1] == '!') {
        bool possible = false;
        for (const auto& candidate : bang_openings) {
            if (at.starts_with(candidate.text)) {
                opening = candidate.text;
                return candidate.markup;
            }
            if (candidate.text.starts_with(at)) possible = true;
        }
        return possible ? Markup::need_more : Markup::malformed;
    }
    if (at[1] == '?') {
        // The XML declaration is "<?xml" followed by whitespace; "<?xml-stylesheet" is a PI.
        if (at.size() <= declaration_open.size())
            return declaration_open.starts_with(at) ? Markup::need_more : Markup::processing_instruction;
        const char after = at[declaration_open.size()];
        return at.starts_with(declaration_open) && is_space(after) ? Markup::declaration : Markup::processing_instruction;
    }
    return Markup::element;
}

// The offset of the '>' that ends the tag starting at at[0], skipping quoted attribute values;
// npos while it has not arrived.
std::size_t tag_end(std::string_view at) {
    char quote = '\0';
    for (std::size_t end = 1; end < at.size(); ++end) {
        const char c = at[end];
        if (quote != '\0') {
            if (c == quote) quote = '\0';
        } else if (c == '\'' || c == '"') {
            quote = c;
        } else if (c == '>') {
            return end;
        }
    }
    return std::string_view::npos;
}

}  // namespace

std::optional<std::string> XmlEvent::attribute(std::string_view key) const {
    for (const auto& [attribute_name, value] : attributes) {
        if (attribute_name == key) return value;
    }
    return std::nullopt;
}

void XmlScanner::fail(std::string message, bool restricted) {
    if (!error_.empty()) return;
    error_ = std::move(message);
    restricted_ = restricted;
}

bool XmlScanner::feed(std::string_view bytes) {
    if (!error_.empty()) return false;
    buffer_.erase(0, position_);
    position_ = 0;
    if (buffer_.size() + bytes.size() > max_pending) {
        fail("more than " + std::to_string(max_pending) + " bytes of XML without a complete element");
        return false;
    }
    buffer_.append(bytes);
    return true;
}

void XmlScanner::discard_whitespace() noexcept {
    while (position_ < buffer_.size() && is_space(buffer_[position_])) ++position_;
}

std::optional<XmlEvent> XmlScanner::next() {
    while (error_.empty() && position_ < buffer_.size()) {
        const std::string_view rest = std::string_view(buffer_).substr(position_);
        if (rest.front() != '<') {
            const auto open = rest.find('<');
            if (open == std::string_view::npos) return std::nullopt;  // text continues
            XmlEvent text{XmlEvent::Kind::text, "", {}, ""};
            Problem problem;
            if (!unescape(rest.substr(0, open), text.text, problem)) {
                fail(std::move(problem.message), problem.restricted);
                return std::nullopt;
            }
            position_ += open;
            if (blank(text.text)) continue;
            declaration_allowed_ = false;
            return text;
        }
        std::string_view opening;
        const Markup markup = classify(rest, opening);
        switch (markup) {
            case Markup::need_more: return std::nullopt;
            case Markup::comment: fail("XMPP server sent an XML comment" + std::string(restricted_xml), true); return std::nullopt;
            case Markup::doctype: fail("XMPP server sent a DTD" + std::string(restricted_xml), true); return std::nullopt;
            case Markup::dtd_declaration:
                fail("XMPP server sent a DTD declaration (" + std::string(opening) + ">)" + std::string(restricted_xml), true);
                return std::nullopt;
            case Markup::processing_instruction:
                fail("XMPP server sent a processing instruction" + std::string(restricted_xml), true);
                return std::nullopt;
            case Markup::malformed: fail("malformed XML: '<!' opens neither a CDATA section nor a comment nor a DTD"); return std::nullopt;
            case Markup::cdata: {
                const auto close = rest.find(cdata_close, cdata_open.size());
                if (close == std::string_view::npos) return std::nullopt;  // section not complete yet
                XmlEvent text{XmlEvent::Kind::text, "", {}, std::string(rest.substr(cdata_open.size(), close - cdata_open.size()))};
                position_ += close + cdata_close.size();
                if (blank(text.text)) continue;
                declaration_allowed_ = false;
                return text;
            }
            case Markup::declaration:
                // Only at the start of the stream; anywhere else "<?xml ...?>" is a processing
                // instruction (with a reserved name).
                if (!declaration_allowed_) {
                    fail("XMPP server sent a processing instruction (an XML declaration inside the stream)" +
                             std::string(restricted_xml),
                         true);
                    return std::nullopt;
                }
                break;
            case Markup::element: break;
        }
        const std::size_t end = tag_end(rest);
        if (end == std::string_view::npos) return std::nullopt;  // tag not complete yet
        const std::string_view inside = rest.substr(1, end - 1);
        if (markup == Markup::declaration) {
            if (inside.back() != '?') {
                fail("malformed XML: the XML declaration does not end with '?>'");
                return std::nullopt;
            }
            position_ += end + 1;
            declaration_allowed_ = false;
            continue;
        }
        Problem problem;
        auto event = parse_tag(inside, problem);
        if (!event) {
            fail(std::move(problem.message), problem.restricted);
            return std::nullopt;
        }
        position_ += end + 1;
        declaration_allowed_ = false;
        return event;
    }
    return std::nullopt;
}

}  // namespace tls_checks::starttls
