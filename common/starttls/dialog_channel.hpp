#pragma once
// The one path every STARTTLS dialog (the text engine, XMPP, LDAP, PostgreSQL, MySQL) talks
// through, and the one place that owns the injection rule (CVE-2011-0411):
//
//  - every buffer the dialog reads through is known here: the LineReader, and each parser that
//    keeps bytes of its own, stacked on it with stack<T>() (the XMPP scanner);
//  - the command that asks for the upgrade goes out through send_starttls(), which first makes
//    sure that nothing beyond the last complete reply is buffered: bytes already there answer
//    STARTTLS before it was asked;
//  - the dialog calls go_ahead() once the go-ahead is parsed completely; upgrade() (dialog.cpp)
//    then asks after_go_ahead(), and any byte left in any buffer fails the dialog.
//
// Protocol files never compare a buffer with zero themselves.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "starttls/dialog.hpp"

namespace tls_checks::starttls {

class DialogChannel {
public:
    explicit DialogChannel(net::LineReader& reader) : reader_(reader) {}
    DialogChannel(const DialogChannel&) = delete;
    DialogChannel& operator=(const DialogChannel&) = delete;

    [[nodiscard]] net::LineReader& reader() noexcept { return reader_; }

    // A parser that keeps received bytes of its own, owned by the channel for the dialog's whole
    // life so that its leftover is still asked for after the protocol's code has returned.
    template <class Buffer>
    Buffer& stack() {
        auto owned = std::make_unique<Buffer>();
        Buffer& buffer = *owned;
        stacked_.push_back(std::move(owned));
        return buffer;
    }

    // Sends bytes of the dialog other than the STARTTLS command (greeting, capability request).
    Expected<Done, DialogError> send(std::span<const unsigned char> bytes, const net::Deadline& deadline);
    Expected<Done, DialogError> send(std::string_view text, const net::Deadline& deadline);

    // Sends the command that asks for the upgrade (STARTTLS, STLS, AUTH TLS, <starttls/>, the
    // LDAP ExtendedRequest, PostgreSQL's and MySQL's SSLRequest). Nothing is sent, and the dialog
    // fails with DialogFailure::injection, when a buffer still holds bytes: before the go-ahead
    // they are an answer given before the question, after it (MySQL, whose greeting is the
    // go-ahead) they are bytes after the go-ahead.
    Expected<Done, DialogError> send_starttls(std::span<const unsigned char> bytes, const net::Deadline& deadline);
    Expected<Done, DialogError> send_starttls(std::string_view text, const net::Deadline& deadline);

    // The go-ahead has been parsed completely ("220 ready", "+OK", "a3 OK", <proceed/> with its
    // end tag, the ExtendedResponse, 'S', the MySQL greeting with CLIENT_SSL).
    void go_ahead();
    [[nodiscard]] std::optional<std::chrono::steady_clock::time_point> go_ahead_at() const noexcept { return go_ahead_at_; }

    // Bytes received and not consumed, over the reader and every stacked buffer.
    [[nodiscard]] std::size_t leftover() const noexcept;

    // The rule, once the dialog returned: there was a go-ahead and no buffer holds a byte.
    Expected<Done, DialogError> after_go_ahead() const;

private:
    net::LineReader& reader_;
    std::vector<std::unique_ptr<net::ReceiveBuffer>> stacked_;
    std::optional<std::chrono::steady_clock::time_point> go_ahead_at_;
};

// The two findings' wording.
DialogError bytes_after_go_ahead(std::size_t bytes);
DialogError answered_before_asked(std::size_t bytes);

}  // namespace tls_checks::starttls
