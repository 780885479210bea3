#include "mail/policy.hpp"

#include <algorithm>
#include <string>
#include <utility>

namespace tls_checks::mail {

namespace {

constexpr std::size_t max_policy_size = 64 * 1024;
constexpr std::uint64_t max_max_age = 31557600;  // RFC 8461 3.2: one year
constexpr std::size_t max_quoted = 64;

bool is_wsp(char c) noexcept { return c == ' ' || c == '\t'; }

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

bool is_alnum(char c) noexcept { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

char to_lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

unsigned char byte_of(char c) noexcept { return static_cast<unsigned char>(c); }

bool same_ignoring_case(std::string_view left, std::string_view right) noexcept {
    return left.size() == right.size() &&
           std::equal(left.begin(), left.end(), right.begin(), [](char a, char b) { return to_lower(a) == to_lower(b); });
}

bool starts_ignoring_case(std::string_view text, std::string_view prefix) noexcept {
    return text.size() >= prefix.size() && same_ignoring_case(text.substr(0, prefix.size()), prefix);
}

std::string_view trim(std::string_view text) noexcept {
    while (!text.empty() && is_wsp(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_wsp(text.back())) text.remove_suffix(1);
    return text;
}

std::string hex_byte(unsigned char byte) {
    constexpr std::string_view digits = "0123456789abcdef";
    return {digits[static_cast<std::size_t>(byte >> 4U)], digits[static_cast<std::size_t>(byte & 0x0FU)]};
}

// `text` in single quotes for a message: at most max_quoted bytes, non-printable ones as \xNN.
std::string quoted(std::string_view text) {
    std::string out = "'";
    for (const char c : text.substr(0, max_quoted)) {
        const unsigned char byte = byte_of(c);
        if (byte >= 0x20 && byte < 0x7F) {
            out += c;
        } else {
            out += "\\x" + hex_byte(byte);
        }
    }
    if (text.size() > max_quoted) out += "...";
    out += "'";
    return out;
}

ParseError error(std::string message) { return ParseError{std::move(message)}; }

// RFC 8461 / RFC 8460 field and key names: (ALPHA / DIGIT) *(ALPHA / DIGIT / "_" / "-" / ".").
bool is_field_name(std::string_view name) noexcept {
    return !name.empty() && is_alnum(name.front()) &&
           std::all_of(name.begin() + 1, name.end(), [](char c) { return is_alnum(c) || c == '_' || c == '-' || c == '.'; });
}

// TXT extension values: 1*(%x21-3A / %x3C / %x3E-7E).
bool is_extension_value(std::string_view value) noexcept {
    return !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
               const unsigned char byte = byte_of(c);
               return byte >= 0x21 && byte <= 0x7E && c != ';' && c != '=';
           });
}

// Does `txt` start with `tag` as its whole first field (then the end, or *WSP ";")?
bool starts_with_version(std::string_view txt, std::string_view tag) noexcept {
    if (txt.substr(0, tag.size()) != tag) return false;
    txt.remove_prefix(tag.size());
    while (!txt.empty() && is_wsp(txt.front())) txt.remove_prefix(1);
    return txt.empty() || txt.front() == ';';
}

struct Field {
    std::string_view name;
    std::string_view value;
};

// The "name=value" fields after the version tag of a TXT record, names checked, values not.
Expected<std::vector<Field>, ParseError> record_fields(std::string_view txt, std::string_view tag) {
    if (!starts_with_version(txt, tag)) return unexpected(error("does not start with " + std::string(tag)));
    std::string_view rest = trim(txt.substr(tag.size()));
    std::vector<Field> fields;
    // rest is empty or starts with ';'; each round consumes one ';' and the field after it.
    while (!rest.empty()) {
        rest.remove_prefix(1);
        const std::size_t end = rest.find(';');
        const std::string_view field = trim(rest.substr(0, end));
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
        if (field.empty()) {
            if (rest.empty()) break;  // the optional trailing ";"
            return unexpected(error("empty field between ';'"));
        }
        const std::size_t equals = field.find('=');
        if (equals == std::string_view::npos) return unexpected(error("field " + quoted(field) + " has no '='"));
        const std::string_view name = field.substr(0, equals);
        if (!is_field_name(name)) return unexpected(error("bad field name " + quoted(name)));
        fields.push_back(Field{name, field.substr(equals + 1)});
    }
    return fields;
}

// Unknown fields are ignored, but must still be well-formed.
std::optional<ParseError> check_extension(const Field& field) {
    if (field.value.empty()) return error("field " + quoted(field.name) + " has an empty value");
    if (!is_extension_value(field.value)) {
        return error("field " + quoted(field.name) + " has a bad value " + quoted(field.value));
    }
    return std::nullopt;
}

bool is_sts_id(std::string_view id) noexcept {
    return !id.empty() && id.size() <= 32 && std::all_of(id.begin(), id.end(), is_alnum);
}

// One rua URI: "mailto:" or "https:" (any case) and something after it, no space or control byte.
std::optional<ParseError> check_rua_uri(std::string_view uri) {
    if (uri.empty()) return error("rua has an empty URI");
    if (!std::all_of(uri.begin(), uri.end(), [](char c) { return byte_of(c) >= 0x21 && byte_of(c) <= 0x7E; })) {
        return error("rua " + quoted(uri) + " has a space or a byte not allowed in a URI");
    }
    for (const std::string_view scheme : {std::string_view("mailto:"), std::string_view("https:")}) {
        if (starts_ignoring_case(uri, scheme)) {
            if (uri.size() == scheme.size()) return error("rua " + quoted(uri) + " has nothing after " + std::string(scheme));
            return std::nullopt;
        }
    }
    return error("rua " + quoted(uri) + " is neither mailto: nor https:");
}

// RFC 8461 3.2 mx values: ["*."] then LDH labels of 1 to 63 characters, no hyphen at either end.
bool is_mx_pattern(std::string_view pattern) noexcept {
    if (pattern.substr(0, 2) == "*.") pattern.remove_prefix(2);
    if (pattern.empty() || pattern.size() > 253) return false;
    while (true) {
        const std::size_t dot = pattern.find('.');
        const std::string_view label = pattern.substr(0, dot);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
        if (!std::all_of(label.begin(), label.end(), [](char c) { return is_alnum(c) || c == '-'; })) return false;
        if (dot == std::string_view::npos) return true;
        pattern.remove_prefix(dot + 1);
    }
}

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), to_lower);
    return out;
}

std::optional<MtaStsMode> mode_from(std::string_view value) noexcept {
    for (const MtaStsMode mode : {MtaStsMode::enforce, MtaStsMode::testing, MtaStsMode::none}) {
        if (value == mode_name(mode)) return mode;
    }
    return std::nullopt;
}

// What the policy lines have given so far.
struct PolicyState {
    MtaStsPolicy policy;
    bool version = false;
    bool mode = false;
    bool max_age = false;
};

// One policy line (without its terminator); nullopt when it is fine.
std::optional<ParseError> policy_line(std::string_view line, std::size_t number, PolicyState& state) {
    const std::string at = "line " + std::to_string(number) + ": ";
    for (const char c : line) {
        const unsigned char byte = byte_of(c);
        if (byte == 0) return error(at + "NUL byte");
        if ((byte < 0x20 && c != '\t') || byte == 0x7F) return error(at + "control byte 0x" + hex_byte(byte));
    }
    if (trim(line).empty()) return std::nullopt;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return error(at + "no ':'");
    const std::string_view key = line.substr(0, colon);
    const auto high = std::find_if(key.begin(), key.end(), [](char c) { return byte_of(c) >= 0x80; });
    if (high != key.end()) return error(at + "byte 0x" + hex_byte(byte_of(*high)) + " outside a value");
    if (!is_field_name(key)) return error(at + "bad key " + quoted(key));
    const std::string_view value = trim(line.substr(colon + 1));

    if (key == "version") {
        if (state.version) return error(at + "second version");
        state.version = true;
        if (value != "STSv1") return error(at + "version " + quoted(value) + " is not STSv1");
    } else if (key == "mode") {
        if (state.mode) return error(at + "second mode");
        state.mode = true;
        const auto mode = mode_from(value);
        if (!mode) return error(at + "mode " + quoted(value) + " is not enforce, testing or none");
        state.policy.mode = *mode;
    } else if (key == "max_age") {
        if (state.max_age) return error(at + "second max_age");
        state.max_age = true;
        if (value.empty() || value.size() > 10 || !std::all_of(value.begin(), value.end(), is_digit)) {
            return error(at + "max_age " + quoted(value) + " is not 1 to 10 digits");
        }
        std::uint64_t seconds = 0;
        for (const char c : value) seconds = seconds * 10 + static_cast<std::uint64_t>(c - '0');
        if (seconds > max_max_age) {
            return error(at + "max_age " + std::to_string(seconds) + " exceeds " + std::to_string(max_max_age) + " (one year)");
        }
        state.policy.max_age = seconds;
    } else if (key == "mx") {
        if (!is_mx_pattern(value)) return error(at + "mx " + quoted(value) + " is not a host name pattern");
        state.policy.mx.push_back(lower(value));
    }
    return std::nullopt;  // other keys: extensions, ignored
}

}  // namespace

Expected<MtaStsRecord, ParseError> parse_mta_sts_record(std::string_view txt) {
    auto fields = record_fields(txt, "v=STSv1");
    if (!fields) return unexpected(fields.error());
    std::optional<std::string> id;
    for (const Field& field : *fields) {
        if (field.name == "id") {
            if (id) return unexpected(error("second id field"));
            if (!is_sts_id(field.value)) return unexpected(error("id " + quoted(field.value) + " is not 1-32 letters and digits"));
            id = std::string(field.value);
        } else if (auto bad = check_extension(field)) {
            return unexpected(std::move(*bad));
        }
    }
    if (!id) return unexpected(error("no id field"));
    return MtaStsRecord{std::move(*id)};
}

Expected<TlsRptRecord, ParseError> parse_tls_rpt_record(std::string_view txt) {
    auto fields = record_fields(txt, "v=TLSRPTv1");
    if (!fields) return unexpected(fields.error());
    std::optional<TlsRptRecord> record;
    for (const Field& field : *fields) {
        if (field.name == "rua") {
            if (record) return unexpected(error("second rua field"));
            record.emplace();
            if (field.value.empty()) return unexpected(error("rua field is empty"));
            std::string_view rest = field.value;
            while (true) {
                const std::size_t comma = rest.find(',');
                const std::string_view uri = trim(rest.substr(0, comma));
                if (auto bad = check_rua_uri(uri)) return unexpected(std::move(*bad));
                record->rua.emplace_back(uri);
                if (comma == std::string_view::npos) break;
                rest.remove_prefix(comma + 1);
            }
        } else if (auto bad = check_extension(field)) {
            return unexpected(std::move(*bad));
        }
    }
    if (!record) return unexpected(error("no rua field"));
    return std::move(*record);
}

Expected<std::size_t, ParseError> select_versioned_record(const std::vector<std::string>& txts, std::string_view version_tag) {
    std::size_t found = 0;
    std::size_t count = 0;
    for (std::size_t i = 0; i < txts.size(); ++i) {
        if (starts_with_version(txts[i], version_tag)) {
            found = i;
            ++count;
        }
    }
    if (count == 0) return unexpected(error("no record starts with " + std::string(version_tag)));
    if (count > 1) return unexpected(error(std::to_string(count) + " records start with " + std::string(version_tag)));
    return found;
}

std::string_view mode_name(MtaStsMode mode) noexcept {
    switch (mode) {
        case MtaStsMode::enforce: return "enforce";
        case MtaStsMode::testing: return "testing";
        case MtaStsMode::none: return "none";
    }
    return "none";
}

Expected<MtaStsPolicy, ParseError> parse_mta_sts_policy(std::string_view body) {
    if (body.size() > max_policy_size) return unexpected(error("larger than 64 KiB"));
    PolicyState state;
    std::size_t number = 0;
    std::size_t start = 0;
    while (start < body.size()) {
        ++number;
        const std::size_t newline = body.find('\n', start);
        std::string_view line = body.substr(start, newline == std::string_view::npos ? std::string_view::npos : newline - start);
        if (newline == std::string_view::npos) {
            start = body.size();
        } else {
            start = newline + 1;
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // CRLF
        }
        if (auto bad = policy_line(line, number, state)) return unexpected(std::move(*bad));
    }
    if (!state.version) return unexpected(error("no version line"));
    if (!state.mode) return unexpected(error("no mode line"));
    if (!state.max_age) return unexpected(error("no max_age line"));
    if (state.policy.mode != MtaStsMode::none && state.policy.mx.empty()) {
        return unexpected(error("no mx line, which mode " + std::string(mode_name(state.policy.mode)) + " requires"));
    }
    return std::move(state.policy);
}

bool mx_pattern_matches(std::string_view pattern, std::string_view host) noexcept {
    if (!host.empty() && host.back() == '.') host.remove_suffix(1);
    if (host.empty() || pattern.empty()) return false;
    if (pattern.substr(0, 2) == "*.") {
        const std::string_view suffix = pattern.substr(2);
        const std::size_t dot = host.find('.');
        if (suffix.empty() || dot == std::string_view::npos || dot == 0) return false;
        return same_ignoring_case(host.substr(dot + 1), suffix);
    }
    return same_ignoring_case(pattern, host);
}

std::optional<std::string> matching_mx_pattern(const MtaStsPolicy& policy, std::string_view host) {
    for (const std::string& pattern : policy.mx) {
        if (mx_pattern_matches(pattern, host)) return pattern;
    }
    return std::nullopt;
}

}  // namespace tls_checks::mail
