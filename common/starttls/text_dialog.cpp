#include "starttls/text_dialog.hpp"

#include <algorithm>
#include <cctype>

#include "starttls/sasl.hpp"

namespace tls_checks::starttls {

namespace {

// No legitimate reply has more lines than this; an endless multi-line reply is an error, not a
// reason to wait for the deadline.
constexpr std::size_t max_reply_lines = 256;
// ManageSieve literals (RFC 5804 4): no capability or status needs more, or more often per line.
constexpr std::size_t max_sieve_literal = 4096;
constexpr std::size_t max_sieve_literals = 8;

DialogError protocol_error(std::string message) { return DialogError{DialogFailure::protocol_error, std::move(message), {}}; }

bool three_digits(std::string_view line) {
    return line.size() >= 3 && std::isdigit(static_cast<unsigned char>(line[0])) &&
           std::isdigit(static_cast<unsigned char>(line[1])) && std::isdigit(static_cast<unsigned char>(line[2]));
}

Expected<Reply, DialogError> read_numeric(net::LineReader& reader, const net::Deadline& deadline) {
    auto first = reader.read_line(deadline);
    if (!first) return unexpected(dialog_error(first.error()));
    const std::string& line = *first;
    if (!three_digits(line) || (line.size() > 3 && line[3] != ' ' && line[3] != '-'))
        return unexpected(protocol_error("malformed reply line '" + line + "'"));
    Reply reply;
    reply.code = std::stoi(line.substr(0, 3));
    reply.lines.push_back(line.size() > 4 ? line.substr(4) : "");
    if (line.size() <= 3 || line[3] == ' ') return reply;
    // Multi-line: "250-..." lines until "250 ..." (RFC 5321 4.2.1). FTP (RFC 959 4.2) lets the
    // middle lines be anything; only the last must repeat the code followed by a space.
    const std::string code = line.substr(0, 3);
    while (reply.lines.size() < max_reply_lines) {
        auto next = reader.read_line(deadline);
        if (!next) return unexpected(dialog_error(next.error()));
        const std::string& more = *next;
        if (more.size() >= 3 && more.compare(0, 3, code) == 0 && (more.size() == 3 || more[3] == ' ')) {
            reply.lines.push_back(more.size() > 4 ? more.substr(4) : "");
            return reply;
        }
        if (more.size() >= 4 && more.compare(0, 3, code) == 0 && more[3] == '-') reply.lines.push_back(more.substr(4));
        else reply.lines.push_back(more);
    }
    return unexpected(protocol_error("reply " + code + " goes on for more than " + std::to_string(max_reply_lines) + " lines"));
}

Expected<Reply, DialogError> read_pop3(net::LineReader& reader, const net::Deadline& deadline) {
    auto line = reader.read_line(deadline);
    if (!line) return unexpected(dialog_error(line.error()));
    Reply reply;
    if (line->rfind("+OK", 0) == 0) reply.code = status_ok;
    else if (line->rfind("-ERR", 0) == 0) reply.code = status_no;
    else return unexpected(protocol_error("malformed POP3 reply '" + *line + "'"));
    const auto space = line->find(' ');
    reply.lines.push_back(space == std::string::npos ? "" : line->substr(space + 1));
    return reply;
}

Expected<Reply, DialogError> read_imap(net::LineReader& reader, const net::Deadline& deadline, std::string_view tag) {
    Reply reply;
    while (reply.lines.size() < max_reply_lines) {
        auto next = reader.read_line(deadline);
        if (!next) return unexpected(dialog_error(next.error()));
        const std::string& line = *next;
        if (line.rfind("* ", 0) == 0) {
            if (tag.empty()) {  // the greeting is one untagged status (RFC 3501 7.1)
                const auto status = upper(line.substr(2, line.find(' ', 2) - 2));
                if (status == "OK") reply.code = status_ok;
                else if (status == "BYE") reply.code = status_no;
                else if (status == "PREAUTH")
                    return unexpected(protocol_error("PREAUTH greeting: STARTTLS is not possible once authenticated"));
                else return unexpected(protocol_error("malformed IMAP greeting '" + line + "'"));
                reply.lines.push_back(line.substr(2));
                return reply;
            }
            reply.lines.push_back(line.substr(2));
            continue;
        }
        if (!tag.empty() && line.size() > tag.size() && line.compare(0, tag.size(), tag) == 0 && line[tag.size()] == ' ') {
            const std::string rest = line.substr(tag.size() + 1);
            const auto status = upper(rest.substr(0, rest.find(' ')));
            if (status != "OK" && status != "NO" && status != "BAD")
                return unexpected(protocol_error("malformed IMAP status '" + line + "'"));
            reply.code = status == "OK" ? status_ok : status_no;
            reply.lines.push_back(rest);
            return reply;
        }
        return unexpected(protocol_error("unexpected IMAP line '" + line + "'"));
    }
    return unexpected(protocol_error("IMAP reply goes on for more than " + std::to_string(max_reply_lines) + " lines"));
}

// RFC 5804 4: a string may be a literal, "{N}" (or the client form "{N+}") ending the line, then
// exactly N octets, then the rest of the line. The literal's number, when the line ends in one.
std::optional<std::size_t> sieve_literal(std::string_view line, std::size_t& marker) {
    if (line.empty() || line.back() != '}') return std::nullopt;
    const auto open = line.rfind('{');
    if (open == std::string_view::npos) return std::nullopt;
    std::string_view number = line.substr(open + 1, line.size() - open - 2);
    if (!number.empty() && number.back() == '+') number.remove_suffix(1);
    if (number.empty() || number.size() > 9) return std::nullopt;
    std::size_t value = 0;
    for (const char c : number) {
        if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
        value = value * 10 + static_cast<std::size_t>(c - '0');
    }
    marker = open;
    return value;
}

// A literal's octets as a quoted string (RFC 5804 4: '"' and '\' escaped), so that one line
// holds the whole capability or status.
std::string sieve_quoted(std::string_view octets) {
    std::string out = "\"";
    for (const char c : octets) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + '"';
}

// One ManageSieve line with every literal in it read and folded in as a quoted string.
Expected<std::string, DialogError> read_sieve_line(net::LineReader& reader, const net::Deadline& deadline) {
    auto first = reader.read_line(deadline);
    if (!first) return unexpected(dialog_error(first.error()));
    std::string line = std::move(*first);
    for (std::size_t literals = 0;; ++literals) {
        std::size_t marker = 0;
        const auto size = sieve_literal(line, marker);
        if (!size) return line;
        if (literals == max_sieve_literals)
            return unexpected(protocol_error("ManageSieve line with more than " + std::to_string(max_sieve_literals) + " literals"));
        if (*size > max_sieve_literal)
            return unexpected(protocol_error("ManageSieve literal of " + std::to_string(*size) + " bytes"));
        auto octets = reader.read_exact(*size, deadline);
        if (!octets) return unexpected(dialog_error(octets.error()));
        auto rest = reader.read_line(deadline);
        if (!rest) return unexpected(dialog_error(rest.error()));
        line.resize(marker);
        line += sieve_quoted(std::string_view(reinterpret_cast<const char*>(octets->data()), octets->size()));
        line += *rest;
    }
}

Expected<Reply, DialogError> read_sieve(net::LineReader& reader, const net::Deadline& deadline) {
    Reply reply;
    while (reply.lines.size() < max_reply_lines) {
        auto next = read_sieve_line(reader, deadline);
        if (!next) return unexpected(std::move(next.error()));
        const std::string& line = *next;
        const auto status = upper(line.substr(0, line.find_first_of(" (")));
        if (status == "OK" || status == "NO" || status == "BYE") {
            reply.code = status == "OK" ? status_ok : status_no;
            reply.lines.push_back(line);
            return reply;
        }
        if (line.empty() || line.front() != '"') return unexpected(protocol_error("malformed ManageSieve line '" + line + "'"));
        reply.lines.push_back(line);
    }
    return unexpected(protocol_error("ManageSieve reply goes on for more than " + std::to_string(max_reply_lines) + " lines"));
}

// An IRC line without its ":prefix": its words, the first one upper-cased.
std::vector<std::string> irc_parts(const std::string& line) {
    auto parts = words(line);
    if (!parts.empty() && parts.front().front() == ':') parts.erase(parts.begin());
    if (!parts.empty()) parts.front() = upper(parts.front());
    return parts;
}

bool irc_error_numeric(const std::string& command) {
    return command.size() == 3 && three_digits(command) && command.front() >= '4';
}

// A line the IRC reader skips while it waits for `wait_for`: empty, PING, NOTICE and anything else
// that is neither the awaited command nor a numeric error. Servers send such lines at any time.
bool irc_noise(const std::string& line, std::string_view wait_for) {
    const auto parts = irc_parts(line);
    if (parts.empty() || parts.front() == "PING") return true;
    return parts.front() != wait_for && !irc_error_numeric(parts.front());
}

// IRC: ":prefix COMMAND params"; servers send NOTICEs at any time. Lines are skipped until the
// awaited command, a numeric error, or the bound.
Expected<Reply, DialogError> read_irc(net::LineReader& reader, const net::Deadline& deadline, std::string_view wait_for) {
    Reply skipped;
    for (std::size_t count = 0; count < max_reply_lines; ++count) {
        auto next = reader.read_line(deadline);
        if (!next) return unexpected(dialog_error(next.error()));
        if (irc_noise(*next, wait_for)) continue;
        const auto parts = irc_parts(*next);
        const std::string& command = parts.front();
        const bool numeric = three_digits(command) && command.size() == 3;
        const bool awaited = command == wait_for;
        // CAP LS may come in several lines: "CAP * LS * :..." continues, "CAP * LS :..." ends.
        const bool continued = awaited && command == "CAP" && parts.size() > 3 && parts[3] == "*";
        if (awaited || irc_error_numeric(command)) {
            Reply reply;
            reply.code = numeric ? std::stoi(command) : status_ok;
            const auto colon = next->find(" :");
            reply.lines.push_back(colon == std::string::npos ? *next : next->substr(colon + 2));
            if (!continued) {
                skipped.lines.insert(skipped.lines.end(), reply.lines.begin(), reply.lines.end());
                skipped.code = reply.code;
                return skipped;
            }
            skipped.lines.push_back(reply.lines.front());
        }
    }
    return unexpected(protocol_error("no answer among " + std::to_string(max_reply_lines) + " IRC lines"));
}

std::string expand(const std::string& command, const DialogOptions& options) {
    std::string out = command;
    if (const auto at = out.find("{ehlo}"); at != std::string::npos) out.replace(at, 6, options.ehlo_name);
    return out;
}

// IMAP commands carry a tag; every step gets its own.
std::string imap_tag(std::size_t step) { return "a" + std::to_string(step + 1); }

// Before the STARTTLS command: lines the grammar allows at any time and skips anyway (IRC
// NOTICEs) are no answer to anything, so complete ones already buffered are dropped; whatever
// else is buffered then counts for send_starttls().
void drop_unsolicited_noise(const Step& step, net::LineReader& reader, const net::Deadline& deadline) {
    if (step.grammar != Grammar::irc) return;
    while (const auto line = reader.peek_line()) {
        if (!irc_noise(*line, step.irc_wait_for)) return;
        (void)reader.read_line(deadline);  // complete in the buffer: no wait
    }
}

Expected<Reply, DialogError> run_step(const Step& step, std::size_t index, DialogChannel& channel,
                                      const DialogOptions& options, const net::Deadline& deadline) {
    net::LineReader& reader = channel.reader();
    const bool imap = step.grammar == Grammar::imap;
    const std::string tag = imap && !step.command.empty() ? imap_tag(index) : "";
    if (!step.command.empty()) {
        const std::string line = (tag.empty() ? "" : tag + " ") + expand(step.command, options) + "\r\n";
        auto sent = Expected<Done, DialogError>(Done{});
        if (step.role == StepRole::starttls) {
            drop_unsolicited_noise(step, reader, deadline);
            sent = channel.send_starttls(line, deadline);
        } else {
            sent = channel.send(line, deadline);
        }
        if (!sent) return unexpected(std::move(sent.error()));
    }
    auto reply = read_reply(reader, step.grammar, deadline, tag, step.irc_wait_for);
    if (!reply) return reply;
    const bool ok = std::find(step.success.begin(), step.success.end(), reply->code) != step.success.end();
    if (ok && step.data_block) {
        auto data = read_data_block(reader, deadline);
        if (!data) return unexpected(std::move(data.error()));
        reply->data = std::move(*data);
    }
    return reply;
}

}  // namespace

DialogError dialog_error(const net::NetError& error) {
    switch (error.kind) {
        case net::NetErrorKind::timed_out: return DialogError{DialogFailure::timed_out, error.message, {}};
        case net::NetErrorKind::closed: return DialogError{DialogFailure::closed, error.message, {}};
        default: return DialogError{DialogFailure::protocol_error, error.message, {}};
    }
}

std::string Reply::text() const {
    std::string out = code >= 100 ? std::to_string(code) + " " : "";
    for (std::size_t i = 0; i < lines.size() && i < 3; ++i) out += (i ? " / " : "") + lines[i];
    return out;
}

std::string upper(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return out;
}

std::vector<std::string> words(std::string_view text) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
        const auto start = pos;
        while (pos < text.size() && text[pos] != ' ' && text[pos] != '\t') ++pos;
        if (pos > start) out.emplace_back(text.substr(start, pos - start));
    }
    return out;
}

std::optional<std::string> entry_with_first_word(const std::vector<std::string>& entries, std::string_view word) {
    for (const auto& entry : entries) {
        const auto parts = words(entry);
        if (!parts.empty() && upper(parts.front()) == word) return entry;
    }
    return std::nullopt;
}

bool has_first_word(const std::vector<std::string>& entries, std::string_view word) {
    return entry_with_first_word(entries, word).has_value();
}

Expected<Reply, DialogError> read_reply(net::LineReader& reader, Grammar grammar, const net::Deadline& deadline,
                                        std::string_view tag, std::string_view irc_wait_for) {
    switch (grammar) {
        case Grammar::numeric: return read_numeric(reader, deadline);
        case Grammar::pop3: return read_pop3(reader, deadline);
        case Grammar::imap: return read_imap(reader, deadline, tag);
        case Grammar::sieve: return read_sieve(reader, deadline);
        case Grammar::irc: return read_irc(reader, deadline, irc_wait_for);
    }
    return unexpected(protocol_error("unknown grammar"));
}

Expected<std::vector<std::string>, DialogError> read_data_block(net::LineReader& reader, const net::Deadline& deadline) {
    std::vector<std::string> lines;
    while (lines.size() < max_reply_lines) {
        auto next = reader.read_line(deadline);
        if (!next) return unexpected(dialog_error(next.error()));
        if (*next == ".") return lines;
        // RFC 1939 3 / RFC 3977 3.1.1: a leading "." is doubled ("dot-stuffing").
        lines.push_back(next->rfind("..", 0) == 0 ? next->substr(1) : *next);
    }
    return unexpected(protocol_error("data block goes on for more than " + std::to_string(max_reply_lines) + " lines"));
}

std::optional<std::string> sasl_entry_login(const std::vector<std::string>& entries, std::string_view word,
                                            std::string_view command) {
    const auto entry = entry_with_first_word(entries, word);
    if (!entry) return std::nullopt;
    auto mechanisms = words(*entry);
    mechanisms.erase(mechanisms.begin());
    if (!sasl::offers_password_mechanism(mechanisms)) return std::nullopt;
    return *entry + " advertised before " + std::string(command);
}

Expected<DialogResult, DialogError> run_text_dialog(const TextDialog& dialog, DialogChannel& channel,
                                                    const DialogOptions& options, const net::Deadline& deadline) {
    DialogResult result;
    result.greeting_at = std::chrono::steady_clock::now();  // protocols without a greeting (IRC)
    bool capabilities_seen = false;
    for (std::size_t index = 0; index < dialog.steps.size(); ++index) {
        const Step& step = dialog.steps[index];
        if (step.role == StepRole::starttls && capabilities_seen && !dialog.offers_starttls(result.capabilities)) {
            return unexpected(DialogError{DialogFailure::not_offered, "the capabilities do not list it", result.capabilities});
        }
        auto reply = run_step(step, index, channel, options, deadline);
        if (!reply) return unexpected(std::move(reply.error()));
        const bool ok = std::find(step.success.begin(), step.success.end(), reply->code) != step.success.end();
        switch (step.role) {
            case StepRole::greeting:
                if (!ok) return unexpected(protocol_error("greeting: " + reply->text()));
                result.greeting = reply->lines.empty() ? "" : reply->lines.front();
                result.greeting_at = std::chrono::steady_clock::now();
                // Some protocols list their capabilities in the greeting (ManageSieve).
                if (index + 1 < dialog.steps.size() && dialog.steps[index + 1].role == StepRole::starttls) {
                    result.capabilities = dialog.capabilities(*reply);
                    capabilities_seen = true;
                }
                break;
            case StepRole::capabilities:
                // A server that cannot list capabilities (FTP without FEAT, IRC without CAP)
                // still gets the STARTTLS command: its answer decides.
                if (ok) {
                    result.capabilities = dialog.capabilities(*reply);
                    capabilities_seen = true;
                }
                break;
            case StepRole::starttls:
                if (!ok) {
                    const bool unimplemented = std::find(dialog.not_implemented.begin(), dialog.not_implemented.end(),
                                                         reply->code) != dialog.not_implemented.end();
                    return unexpected(DialogError{unimplemented ? DialogFailure::not_offered : DialogFailure::refused,
                                                  reply->text(), result.capabilities});
                }
                channel.go_ahead();
                break;
        }
    }
    if (dialog.plaintext_login != nullptr) {
        auto exposure = dialog.plaintext_login(result.capabilities);
        result.plaintext_login_visible = exposure.visible;
        if (exposure.visible) result.plaintext_login = std::move(exposure.plaintext);
    }
    return result;
}

Expected<std::vector<std::string>, DialogError> run_text_after_tls(const TextDialog& dialog, net::LineReader& reader,
                                                                   const DialogOptions& options,
                                                                   const net::Deadline& deadline) {
    std::vector<std::string> capabilities;
    DialogChannel channel(reader);  // over TLS: no STARTTLS step, no go-ahead
    for (std::size_t index = 0; index < dialog.after_tls.size(); ++index) {
        const Step& step = dialog.after_tls[index];
        // Tags continue after the plaintext steps so that they stay unique per connection.
        auto reply = run_step(step, dialog.steps.size() + index, channel, options, deadline);
        if (!reply) return unexpected(std::move(reply.error()));
        if (std::find(step.success.begin(), step.success.end(), reply->code) == step.success.end())
            return unexpected(protocol_error("capabilities over TLS: " + reply->text()));
        if (step.role == StepRole::capabilities) capabilities = dialog.capabilities(*reply);
    }
    return capabilities;
}

}  // namespace tls_checks::starttls
