// IRC (IRCv3 "tls" capability and STARTTLS command: 670 to go ahead, 691 on failure). Servers
// talk first with NOTICEs; the reply reader skips them.
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
        nullptr,  // SASL over IRC needs credentials to judge
        {421},
    };
    return dialog;
}

}  // namespace tls_checks::starttls
