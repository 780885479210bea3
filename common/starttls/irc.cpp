// IRC (IRCv3 "tls" capability and STARTTLS command: 670 to go ahead, 691 on failure). Servers
// talk first with NOTICEs; the reply reader skips them.
#include <algorithm>

#include "starttls/sasl.hpp"
#include "starttls/text_dialog.hpp"

namespace tls_checks::starttls {

namespace {

// "multi-prefix sasl tls" (values after '=' kept) from the CAP LS lines.
std::vector<std::string> cap_tokens(const Reply& reply) {
    std::vector<std::string> tokens;
    for (const auto& line : reply.lines) {
        const auto parts = words(line);
        tokens.insert(tokens.end(), parts.begin(), parts.end());
    }
    return tokens;
}

bool offers_starttls(const std::vector<std::string>& capabilities) {
    for (const auto& token : capabilities) {
        if (upper(token.substr(0, token.find('='))) == "TLS") return true;
    }
    return false;
}

// IRCv3 SASL 3.2: CAP LS 302 may list the mechanisms ("sasl=PLAIN,EXTERNAL"). One that sends the
// password (sasl.hpp) shows that it can travel before TLS. Anything else tells nothing: a server
// password (PASS) or a NickServ IDENTIFY never shows in the capabilities.
LoginExposure plaintext_login(const std::vector<std::string>& capabilities) {
    for (const auto& token : capabilities) {
        const auto equals = token.find('=');
        if (equals == std::string::npos || upper(token.substr(0, equals)) != "SASL") continue;
        std::vector<std::string> mechanisms;
        std::size_t start = equals + 1;
        while (start <= token.size()) {
            const auto comma = std::min(token.find(',', start), token.size());
            if (comma > start) mechanisms.push_back(token.substr(start, comma - start));
            start = comma + 1;
        }
        if (sasl::offers_password_mechanism(mechanisms)) return {true, token + " advertised before STARTTLS"};
    }
    return {false, std::nullopt};
}

}  // namespace

const TextDialog& irc_dialog() {
    static const TextDialog dialog{
        {
            {StepRole::capabilities, "CAP LS 302", Grammar::irc, {status_ok}, false, "CAP"},
            {StepRole::starttls, "STARTTLS", Grammar::irc, {670}, false, "670"},
        },
        {},
        cap_tokens,
        offers_starttls,
        plaintext_login,
        {421},
    };
    return dialog;
}

}  // namespace tls_checks::starttls
