#include "starttls/xml_scanner.hpp"

namespace tls_checks::starttls {

namespace {

constexpr std::size_t max_pending = 64 * 1024;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string unescape(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '&') {
            out += text[i];
            continue;
        }
        const auto semicolon = text.find(';', i);
        const auto entity = text.substr(i + 1, semicolon == std::string_view::npos ? 0 : semicolon - i - 1);
        if (entity == "lt") out += '<';
        else if (entity == "gt") out += '>';
        else if (entity == "amp") out += '&';
        else if (entity == "apos") out += '\'';
        else if (entity == "quot") out += '"';
        else out += '?';
        if (semicolon == std::string_view::npos) break;
        i = semicolon;
    }
    return out;
}

// Parses the inside of "<...>" (without the brackets) into an event.
std::optional<XmlEvent> parse_tag(std::string_view inside, std::string& error) {
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
        error = "XML tag without a name";
        return std::nullopt;
    }
    while (pos < inside.size()) {
        while (pos < inside.size() && is_space(inside[pos])) ++pos;
        if (pos >= inside.size()) break;
        const auto equals = inside.find('=', pos);
        if (equals == std::string_view::npos || equals + 1 >= inside.size()) {
            error = "XML attribute without a value in <" + event.name + ">";
            return std::nullopt;
        }
        std::string key(inside.substr(pos, equals - pos));
        while (!key.empty() && is_space(key.back())) key.pop_back();
        std::size_t value_start = equals + 1;
        while (value_start < inside.size() && is_space(inside[value_start])) ++value_start;
        const char quote = value_start < inside.size() ? inside[value_start] : '\0';
        if (quote != '\'' && quote != '"') {
            error = "XML attribute value not quoted in <" + event.name + ">";
            return std::nullopt;
        }
        const auto close = inside.find(quote, value_start + 1);
        if (close == std::string_view::npos) {
            error = "XML attribute value not closed in <" + event.name + ">";
            return std::nullopt;
        }
        event.attributes.emplace_back(key, unescape(inside.substr(value_start + 1, close - value_start - 1)));
        pos = close + 1;
    }
    return event;
}

}  // namespace

std::optional<std::string> XmlEvent::attribute(std::string_view key) const {
    for (const auto& [attribute_name, value] : attributes) {
        if (attribute_name == key) return value;
    }
    return std::nullopt;
}

bool XmlScanner::feed(std::string_view bytes) {
    buffer_.erase(0, position_);
    position_ = 0;
    if (buffer_.size() + bytes.size() > max_pending) {
        error_ = "more than " + std::to_string(max_pending) + " bytes of XML without a complete element";
        return false;
    }
    buffer_.append(bytes);
    return true;
}

void XmlScanner::discard_whitespace() noexcept {
    while (position_ < buffer_.size() && is_space(buffer_[position_])) ++position_;
}

std::optional<XmlEvent> XmlScanner::next() {
    while (position_ < buffer_.size()) {
        if (buffer_[position_] != '<') {
            const auto open = buffer_.find('<', position_);
            if (open == std::string::npos) return std::nullopt;  // text continues
            XmlEvent text{XmlEvent::Kind::text, "", {}, unescape(std::string_view(buffer_).substr(position_, open - position_))};
            position_ = open;
            bool blank = true;
            for (const char c : text.text) blank = blank && is_space(c);
            if (blank) continue;
            return text;
        }
        // A '>' inside a quoted attribute value does not end the tag.
        char quote = '\0';
        std::size_t end = position_ + 1;
        for (; end < buffer_.size(); ++end) {
            const char c = buffer_[end];
            if (quote != '\0') {
                if (c == quote) quote = '\0';
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '>') {
                break;
            }
        }
        if (end >= buffer_.size()) return std::nullopt;  // tag not complete yet
        const std::string_view inside = std::string_view(buffer_).substr(position_ + 1, end - position_ - 1);
        position_ = end + 1;
        if (!inside.empty() && (inside.front() == '?' || inside.front() == '!')) continue;  // <?xml ...?>, comments
        std::string problem;
        auto event = parse_tag(inside, problem);
        if (!event) {
            error_ = problem;
            return std::nullopt;
        }
        return event;
    }
    return std::nullopt;
}

}  // namespace tls_checks::starttls
