#pragma once
// The one engine behind every line-based STARTTLS dialog: a protocol is a small table of
// steps (send a command, read a reply in the protocol's grammar, require a status) plus the
// rules that read its capability list.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "starttls/dialog.hpp"
#include "starttls/dialog_channel.hpp"

namespace tls_checks::starttls {

// How replies are framed.
enum class Grammar {
    numeric,  // "250-first" ... "250 last" (SMTP, LMTP, NNTP; FTP's free-form middle lines too)
    pop3,     // "+OK ..." / "-ERR ..."
    imap,     // untagged "* ..." lines, then "<tag> OK|NO|BAD ..."
    sieve,    // capability lines, then OK / NO / BYE (RFC 5804); literals folded in as quoted strings
    irc,      // ":server 670 nick :..." among NOTICE lines (IRCv3 STARTTLS)
};

// Statuses for the non-numeric grammars.
inline constexpr int status_ok = 1;
inline constexpr int status_no = 0;

struct Reply {
    int code = -1;                   // numeric code, or status_ok / status_no
    std::vector<std::string> lines;  // text of each line, code or tag removed
    std::vector<std::string> data;   // a dot-terminated block after the reply (POP3 CAPA, NNTP)

    [[nodiscard]] std::string text() const;  // "454 4.7.0 TLS not available" style, for messages
};

enum class StepRole { greeting, capabilities, starttls };

struct Step {
    StepRole role;
    std::string command;            // sent first unless empty; "{ehlo}" becomes DialogOptions::ehlo_name
    Grammar grammar;
    std::vector<int> success;       // codes that mean success
    bool data_block = false;        // success is followed by a dot-terminated block
    std::string irc_wait_for;       // irc: the command or numeric that ends the reply ("CAP", "670")
};

// What the capabilities show about a password travelling before TLS.
struct LoginExposure {
    bool visible = true;                   // false: the capabilities do not tell
    std::optional<std::string> plaintext;  // how a password can travel in plaintext, when it can
};

struct TextDialog {
    std::vector<Step> steps;        // greeting, capabilities (may be empty), starttls
    std::vector<Step> after_tls;    // to read capabilities again over TLS (may be empty)
    // Capability entries from the capabilities reply (or the greeting where that carries them).
    std::vector<std::string> (*capabilities)(const Reply& reply);
    // Does the list advertise STARTTLS?
    bool (*offers_starttls)(const std::vector<std::string>& capabilities);
    // Whether a password can travel in plaintext (nullptr: the capabilities never tell).
    LoginExposure (*plaintext_login)(const std::vector<std::string>& capabilities);
    // Codes of the STARTTLS step that mean "not implemented here" rather than "refused".
    std::vector<int> not_implemented;
};

// Reads one reply in `grammar` (the tag is used by IMAP, the wait-for word by IRC).
Expected<Reply, DialogError> read_reply(net::LineReader& reader, Grammar grammar, const net::Deadline& deadline,
                                        std::string_view tag = "", std::string_view irc_wait_for = "");

// The dot-terminated block that follows a successful POP3 CAPA or NNTP CAPABILITIES reply, its
// lines with dot-stuffing undone (RFC 1939 3, RFC 3977 3.1.1); at most 256 lines. Public for
// tests/fuzz/fuzz_line_reader.cpp.
Expected<std::vector<std::string>, DialogError> read_data_block(net::LineReader& reader, const net::Deadline& deadline);

// The plaintext steps over `channel`: the STARTTLS step's command goes out through
// send_starttls(), its successful reply is the go-ahead.
Expected<DialogResult, DialogError> run_text_dialog(const TextDialog& dialog, DialogChannel& channel,
                                                    const DialogOptions& options, const net::Deadline& deadline);
Expected<std::vector<std::string>, DialogError> run_text_after_tls(const TextDialog& dialog, net::LineReader& reader,
                                                                   const DialogOptions& options,
                                                                   const net::Deadline& deadline);

// Helpers the protocol files share.
std::string upper(std::string_view text);
std::vector<std::string> words(std::string_view text);
// True when some entry's first word (case-insensitive) is `word`.
bool has_first_word(const std::vector<std::string>& entries, std::string_view word);
// The entry whose first word is `word`, if any.
std::optional<std::string> entry_with_first_word(const std::vector<std::string>& entries, std::string_view word);
// "SASL PLAIN LOGIN" style entries (POP3, NNTP, ManageSieve): when the words after `word` name a
// mechanism that sends the password (starttls/sasl.hpp), "<entry> advertised before <command>".
std::optional<std::string> sasl_entry_login(const std::vector<std::string>& entries, std::string_view word,
                                            std::string_view command);

// The SMTP dialog with another greeting command (EHLO for SMTP, LHLO for LMTP).
TextDialog smtp_style_dialog(std::string_view hello);

// The text dialogs, one per protocol file.
const TextDialog& smtp_dialog();
const TextDialog& lmtp_dialog();
const TextDialog& pop3_dialog();
const TextDialog& imap_dialog();
const TextDialog& ftp_dialog();
const TextDialog& nntp_dialog();
const TextDialog& sieve_dialog();
const TextDialog& irc_dialog();

}  // namespace tls_checks::starttls
