#include "starttls/protocol.hpp"

#include <array>

namespace tls_checks::starttls {

namespace {

// The port table in common/README.md, STARTTLS protocols and default ports; the order is the
// enum's.
constexpr std::array<ProtocolInfo, 14> protocols = {{
    {Protocol::smtp, "smtp", 25, "smtp"},
    {Protocol::submission, "submission", 587, "smtp"},
    {Protocol::lmtp, "lmtp", 24, "lmtp"},
    {Protocol::pop3, "pop3", 110, "pop3"},
    {Protocol::imap, "imap", 143, "imap"},
    {Protocol::ftp, "ftp", 21, "ftp"},
    {Protocol::ldap, "ldap", 389, "ldap"},
    {Protocol::xmpp, "xmpp", 5222, "xmpp"},
    {Protocol::xmpp_server, "xmpp-server", 5269, "xmpp-server"},
    {Protocol::nntp, "nntp", 119, "nntp"},
    {Protocol::sieve, "sieve", 4190, "sieve"},
    {Protocol::postgres, "postgres", 5432, "postgres"},
    {Protocol::mysql, "mysql", 3306, "mysql"},
    {Protocol::irc, "irc", 6667, "irc"},
}};

}  // namespace

std::span<const ProtocolInfo> all_protocols() noexcept { return protocols; }

const ProtocolInfo& info(Protocol protocol) noexcept { return protocols[static_cast<std::size_t>(protocol)]; }

std::optional<Protocol> parse_protocol(std::string_view name) noexcept {
    for (const auto& entry : protocols) {
        if (entry.name == name) return entry.protocol;
    }
    return std::nullopt;
}

std::optional<Protocol> protocol_for_port(std::uint16_t port) noexcept {
    for (const auto& entry : protocols) {
        if (entry.default_port == port) return entry.protocol;
    }
    return std::nullopt;
}

}  // namespace tls_checks::starttls
