#pragma once
// STARTTLS dialogs: the plaintext conversation that ends with the server ready for a TLS
// handshake. Facts only (what the server offered and answered); the plugins judge.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "net/deadline.hpp"
#include "net/line_reader.hpp"
#include "starttls/protocol.hpp"

namespace tls_checks::starttls {

struct DialogOptions {
    std::string ehlo_name = "localhost";  // SMTP EHLO / LMTP LHLO argument
    std::string xmpp_domain;              // stream "to"; the -H name when empty
};

enum class DialogFailure {
    not_offered,     // the capability list lacks STARTTLS (the downgrade this project exists for)
    refused,         // offered, but the STARTTLS command was answered with an error
    protocol_error,  // a reply that breaks the protocol (or a line too long, too many lines)
    timed_out,
    closed,          // the server closed the connection mid-dialog (or announced it: LDAP's notice)
    // Bytes beyond a complete reply where a man in the middle would put commands of his own
    // (CVE-2011-0411): left in a buffer after the go-ahead, or waiting before the STARTTLS
    // command was sent (an answer given before the server was asked).
    injection,
};

struct DialogError {
    DialogFailure kind;
    std::string message;  // raw server text may be in here: sanitize before printing
    std::vector<std::string> capabilities;  // what the server did offer, when STARTTLS was not among it
};

struct DialogResult {
    std::string greeting;                    // the banner, as sent
    std::vector<std::string> capabilities;   // seen before TLS, one entry per capability line/token
    // How a password could travel in plaintext before TLS ("AUTH PLAIN LOGIN advertised"), when
    // the capabilities show it; nullopt when they show it cannot.
    std::optional<std::string> plaintext_login;
    // False where the protocol does not reveal login policy without credentials.
    bool plaintext_login_visible = false;
    std::chrono::steady_clock::time_point greeting_at;  // banner fully received
    std::chrono::steady_clock::time_point upgrade_at;   // server said "go ahead"
};

// Runs the dialog of `protocol` over `reader` up to the point where the TLS handshake starts.
// Every protocol's dialog runs through one DialogChannel (starttls/dialog_channel.hpp), which
// fails the dialog (DialogFailure::injection) when, after the go-ahead, any buffer of the dialog
// (the reader, and parsers stacked on it such as the XMPP scanner) still holds a byte: such bytes
// would otherwise be taken as TLS or, worse, as commands injected before the handshake
// (CVE-2011-0411). It also fails when bytes beyond the last complete reply are already waiting
// when the STARTTLS command is due: the server answered before it was asked.
Expected<DialogResult, DialogError> upgrade(Protocol protocol, net::LineReader& reader, const DialogOptions& options,
                                            const net::Deadline& deadline);

// After the handshake, over the TLS stream: the capabilities the server offers now, for the
// protocols where the client must ask again (SMTP, LMTP, IMAP, POP3, NNTP, ManageSieve, XMPP);
// empty for the others.
Expected<std::vector<std::string>, DialogError> capabilities_after_tls(Protocol protocol, net::LineReader& reader,
                                                                       const DialogOptions& options,
                                                                       const net::Deadline& deadline);

// Maps a reader error to a dialog error.
DialogError dialog_error(const net::NetError& error);

}  // namespace tls_checks::starttls
