#include "starttls/dialog.hpp"

#include "starttls/binary_dialogs.hpp"
#include "starttls/dialog_channel.hpp"
#include "starttls/text_dialog.hpp"

namespace tls_checks::starttls {

namespace {

const TextDialog* text_dialog(Protocol protocol) {
    switch (protocol) {
        case Protocol::smtp:
        case Protocol::submission: return &smtp_dialog();
        case Protocol::lmtp: return &lmtp_dialog();
        case Protocol::pop3: return &pop3_dialog();
        case Protocol::imap: return &imap_dialog();
        case Protocol::ftp: return &ftp_dialog();
        case Protocol::nntp: return &nntp_dialog();
        case Protocol::sieve: return &sieve_dialog();
        case Protocol::irc: return &irc_dialog();
        case Protocol::ldap:
        case Protocol::xmpp:
        case Protocol::xmpp_server:
        case Protocol::postgres:
        case Protocol::mysql: break;
    }
    return nullptr;
}

}  // namespace

namespace {

Expected<DialogResult, DialogError> run_protocol(Protocol protocol, DialogChannel& channel, const DialogOptions& options,
                                                 const net::Deadline& deadline) {
    if (const TextDialog* dialog = text_dialog(protocol)) return run_text_dialog(*dialog, channel, options, deadline);
    switch (protocol) {
        case Protocol::xmpp: return upgrade_xmpp_client(channel, options, deadline);
        case Protocol::xmpp_server: return upgrade_xmpp_server(channel, options, deadline);
        case Protocol::ldap: return upgrade_ldap(channel, deadline);
        case Protocol::postgres: return upgrade_postgres(channel, deadline);
        case Protocol::mysql: return upgrade_mysql(channel, deadline);
        default: break;
    }
    return unexpected(DialogError{DialogFailure::protocol_error, "no dialog for this protocol", {}});
}

}  // namespace

// The runner every protocol goes through: the injection rule is checked here, once, for all.
Expected<DialogResult, DialogError> upgrade(Protocol protocol, net::LineReader& reader, const DialogOptions& options,
                                            const net::Deadline& deadline) {
    DialogChannel channel(reader);
    auto result = run_protocol(protocol, channel, options, deadline);
    if (!result) return result;
    if (auto clean = channel.after_go_ahead(); !clean) {
        auto error = std::move(clean.error());
        error.capabilities = result->capabilities;
        return unexpected(std::move(error));
    }
    result->upgrade_at = *channel.go_ahead_at();
    return result;
}

Expected<std::vector<std::string>, DialogError> capabilities_after_tls(Protocol protocol, net::LineReader& reader,
                                                                       const DialogOptions& options,
                                                                       const net::Deadline& deadline) {
    if (const TextDialog* dialog = text_dialog(protocol)) return run_text_after_tls(*dialog, reader, options, deadline);
    if (protocol == Protocol::xmpp || protocol == Protocol::xmpp_server)
        return xmpp_capabilities_after_tls(protocol == Protocol::xmpp_server, reader, options, deadline);
    return std::vector<std::string>{};
}

}  // namespace tls_checks::starttls
