#include "starttls/dialog.hpp"

#include "starttls/binary_dialogs.hpp"
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

Expected<DialogResult, DialogError> upgrade(Protocol protocol, net::LineReader& reader, const DialogOptions& options,
                                            const net::Deadline& deadline) {
    if (const TextDialog* dialog = text_dialog(protocol)) return run_text_dialog(*dialog, reader, options, deadline);
    switch (protocol) {
        case Protocol::xmpp: return upgrade_xmpp_client(reader, options, deadline);
        case Protocol::xmpp_server: return upgrade_xmpp_server(reader, options, deadline);
        case Protocol::ldap: return upgrade_ldap(reader, deadline);
        case Protocol::postgres: return upgrade_postgres(reader, deadline);
        case Protocol::mysql: return upgrade_mysql(reader, deadline);
        default: break;
    }
    return unexpected(DialogError{DialogFailure::protocol_error, "no dialog for this protocol", {}});
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
