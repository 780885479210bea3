// libFuzzer target: net::LineReader fed arbitrary chunks, and every reply grammar of the text
// dialogs (starttls/text_dialog.hpp) read through it: SMTP/LMTP/FTP/NNTP numeric replies
// ("250-..." to "250 ..."), NNTP's and POP3's dot-terminated blocks, POP3 +OK/-ERR, IMAP untagged
// greeting and tagged status, ManageSieve capability lines and OK/NO/BYE with literals, IRC lines
// among NOTICEs (CAP and 670); each reply goes to every protocol's capability, STARTTLS-offer and
// plaintext-login rules.
//
// Input: byte 0 sets the read size (low 6 bits, 1 to 64, times 16 when bit 6 is set); the low 4
// bits of byte 1 say how many of the following bytes drive the raw reader's calls; the rest is
// what the server sends. Promised by the reader: the bytes it hands out are the stream's, in order
// (a line, then "\n" or "\r\n" that it drops); handed out + buffered() = total_read(), never more
// than was sent nor than max_total; a line is never longer than max_line nor holds a "\n";
// peek_line() takes nothing and shows what read_line() then returns. By the grammars: a reply has
// 1 to 256 lines, a code of 0 to 999, and (but for ManageSieve, whose literals are folded in
// quoted) no more text than was read; and the replies do not depend on where the reads end.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "../unit/memory_stream.hpp"
#include "net/line_reader.hpp"
#include "starttls/text_dialog.hpp"

namespace {

using namespace tls_checks;
using starttls::Grammar;

constexpr net::ReaderLimits limits{200, 3000};

// The script's end reads as a timeout, so a deadline far away never waits (MemoryStream never
// looks at it; it is made anew for every input all the same, however long a run lasts).
net::Deadline far_deadline() { return net::Deadline::after(std::chrono::hours(1)); }

void check_error(const net::NetError& error) {
    switch (error.kind) {
        case net::NetErrorKind::timed_out:
        case net::NetErrorKind::closed:
        case net::NetErrorKind::too_much_data:
        case net::NetErrorKind::line_too_long: break;
        default: std::abort();
    }
    if (error.message.empty()) std::abort();
}

// Bytes handed out so far, from the reader's own accounts.
std::size_t handed_out(const net::LineReader& reader) {
    if (reader.buffered() > reader.total_read()) std::abort();
    return reader.total_read() - reader.buffered();
}

void check_accounts(const net::LineReader& reader, std::string_view sent) {
    if (reader.total_read() > sent.size() || reader.total_read() > limits.max_total) std::abort();
    (void)handed_out(reader);
}

void check_line(const std::string& line, std::string_view sent, std::size_t from, std::size_t taken) {
    if (line.size() > limits.max_line || line.find('\n') != std::string::npos) std::abort();
    if (sent.substr(from, line.size()) != line) std::abort();
    const std::string_view terminator = sent.substr(from + line.size(), taken - line.size());
    if (terminator != "\n" && terminator != "\r\n") std::abort();
}

// The reader's own calls, chosen by `script`.
void drive_reader(const std::vector<std::string>& chunks, std::string_view sent, std::string_view script) {
    test::MemoryStream stream(chunks);
    net::LineReader reader(stream, limits);
    if (script.empty()) script = std::string_view("\0", 1);  // read_line only
    for (std::size_t step = 0; step < 2 * sent.size() + 16; ++step) {
        const auto op = static_cast<unsigned char>(script[step % script.size()]);
        const std::size_t from = handed_out(reader);
        switch (op % 4) {
            case 0: {
                auto line = reader.read_line(far_deadline());
                if (!line) return check_error(line.error());
                check_line(*line, sent, from, handed_out(reader) - from);
                break;
            }
            case 1: {
                const std::size_t count = (op >> 2u) % 17;
                auto bytes = reader.read_exact(count, far_deadline());
                if (!bytes) return check_error(bytes.error());
                if (bytes->size() != count || handed_out(reader) - from != count) std::abort();
                if (sent.substr(from, count) != std::string_view(reinterpret_cast<const char*>(bytes->data()), count)) std::abort();
                break;
            }
            case 2: {
                auto bytes = reader.read_available(far_deadline());
                if (!bytes) return check_error(bytes.error());
                if (bytes->empty() || reader.buffered() != 0 || handed_out(reader) - from != bytes->size()) std::abort();
                if (sent.substr(from, bytes->size()) != *bytes) std::abort();
                break;
            }
            default: {
                const std::size_t total = reader.total_read();
                const std::size_t buffered = reader.buffered();
                const auto peeked = reader.peek_line();
                if (reader.total_read() != total || reader.buffered() != buffered) std::abort();
                if (!peeked) break;
                auto line = reader.read_line(far_deadline());
                if (!line || *line != *peeked || reader.total_read() != total) std::abort();
                check_line(*line, sent, from, handed_out(reader) - from);
                break;
            }
        }
        check_accounts(reader, sent);
    }
}

struct Reading {
    Grammar grammar;
    std::string_view tag;       // IMAP
    std::string_view wait_for;  // IRC
    int block_after;            // a dot-terminated block follows this code (POP3 CAPA, NNTP CAPABILITIES)
};

constexpr Reading readings[] = {
    {Grammar::numeric, "", "", 101},  // SMTP, LMTP, FTP; NNTP's 101 with its block
    {Grammar::pop3, "", "", starttls::status_ok},
    {Grammar::imap, "", "", -1},      // the greeting
    {Grammar::imap, "a2", "", -1},    // CAPABILITY, STARTTLS
    {Grammar::sieve, "", "", -1},
    {Grammar::irc, "", "CAP", -1},
    {Grammar::irc, "", "670", -1},
};

const std::vector<const starttls::TextDialog*>& dialogs() {
    static const std::vector<const starttls::TextDialog*> all{
        &starttls::smtp_dialog(), &starttls::lmtp_dialog(), &starttls::pop3_dialog(),  &starttls::imap_dialog(),
        &starttls::ftp_dialog(),  &starttls::nntp_dialog(), &starttls::sieve_dialog(), &starttls::irc_dialog(),
    };
    return all;
}

void check_reply(const starttls::Reply& reply, const Reading& reading, const net::LineReader& reader) {
    if (reply.lines.empty() || reply.lines.size() > 256 || reply.code < 0 || reply.code > 999) std::abort();
    if (reading.grammar == Grammar::pop3 || reading.grammar == Grammar::imap || reading.grammar == Grammar::sieve) {
        if (reply.code != starttls::status_ok && reply.code != starttls::status_no) std::abort();
    }
    if (reading.grammar != Grammar::sieve) {
        std::size_t text = 0;
        for (const auto& line : reply.lines) text += line.size();
        for (const auto& line : reply.data) text += line.size();
        if (text > reader.total_read()) std::abort();
    }
    (void)reply.text();
    for (const starttls::TextDialog* dialog : dialogs()) {
        const auto capabilities = dialog->capabilities(reply);
        (void)dialog->offers_starttls(capabilities);
        if (dialog->plaintext_login != nullptr) {
            const auto exposure = dialog->plaintext_login(capabilities);
            if (!exposure.visible && exposure.plaintext) std::abort();
        }
    }
}

// Everything the grammar made of the bytes, as one string: what is compared between reads.
std::string transcript_of(const starttls::Reply& reply) {
    std::string out = "reply " + std::to_string(reply.code) + "\n";
    for (const auto& line : reply.lines) out += "line " + line + "\n";
    for (const auto& line : reply.data) out += "data " + line + "\n";
    return out;
}

std::string transcript_of(const starttls::DialogError& error) {
    return "error " + std::to_string(static_cast<int>(error.kind)) + " " + error.message + "\n";
}

std::string read_replies(const std::vector<std::string>& chunks, std::string_view sent, const Reading& reading) {
    test::MemoryStream stream(chunks);
    net::LineReader reader(stream, limits);
    std::string transcript;
    for (int count = 0; count < 64; ++count) {
        auto reply = starttls::read_reply(reader, reading.grammar, far_deadline(), reading.tag, reading.wait_for);
        check_accounts(reader, sent);
        if (!reply) {
            if (reply.error().message.empty()) std::abort();
            return transcript + transcript_of(reply.error());
        }
        if (reply->code == reading.block_after) {
            auto block = starttls::read_data_block(reader, far_deadline());
            check_accounts(reader, sent);
            if (!block) return transcript + transcript_of(*reply) + transcript_of(block.error());
            if (block->size() > 256) std::abort();
            reply->data = std::move(*block);
        }
        check_reply(*reply, reading, reader);
        transcript += transcript_of(*reply);
    }
    return transcript;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    std::size_t piece = 1 + (data[0] & 0x3Fu);
    if ((data[0] & 0x40u) != 0) piece *= 16;
    const std::size_t script_size = std::min<std::size_t>(data[1] & 0x0Fu, size - 2);
    const std::string_view script(reinterpret_cast<const char*>(data + 2), script_size);
    const std::string_view sent(reinterpret_cast<const char*>(data + 2 + script_size), size - 2 - script_size);
    // At most 256 reads: every read costs the reader a 4 KiB buffer, and short inputs are the
    // ones where each boundary matters.
    piece = std::max(piece, (sent.size() + 255) / 256);
    std::vector<std::string> chunks;
    for (std::size_t at = 0; at < sent.size(); at += piece) chunks.emplace_back(sent.substr(at, piece));
    drive_reader(chunks, sent, script);
    // Replies do not depend on how the bytes were cut into reads: the same bytes in one read give
    // the same replies and the same error (unless a read would be MemoryStream's "<close>").
    const std::vector<std::string> whole = sent.empty() ? std::vector<std::string>{} : std::vector<std::string>{std::string(sent)};
    const bool comparable = sent.find("<close>") == std::string_view::npos;
    for (const Reading& reading : readings) {
        const std::string pieces = read_replies(chunks, sent, reading);
        if (comparable && read_replies(whole, sent, reading) != pieces) std::abort();
    }
    return 0;
}
