// IMAP (RFC 3501 6.1.1 CAPABILITY, 6.2.1 STARTTLS): tagged commands, untagged CAPABILITY data.
#include "starttls/sasl.hpp"
#include "starttls/text_dialog.hpp"

namespace tls_checks::starttls {

namespace {

// Every token of every "CAPABILITY ..." untagged line.
std::vector<std::string> capability_tokens(const Reply& reply) {
    std::vector<std::string> tokens;
    for (const auto& line : reply.lines) {
        auto parts = words(line);
        if (parts.empty() || upper(parts.front()) != "CAPABILITY") continue;
        tokens.insert(tokens.end(), parts.begin() + 1, parts.end());
    }
    return tokens;
}

bool offers_starttls(const std::vector<std::string>& capabilities) { return has_first_word(capabilities, "STARTTLS"); }

// RFC 3501 6.2.3: without LOGINDISABLED the LOGIN command takes a password in the clear.
// LOGINDISABLED disables only that command: AUTHENTICATE with a mechanism that sends the password
// (AUTH=PLAIN, AUTH=LOGIN; sasl.hpp) still does.
LoginExposure plaintext_login(const std::vector<std::string>& capabilities) {
    if (!has_first_word(capabilities, "LOGINDISABLED")) return {true, "LOGIN allowed before STARTTLS (no LOGINDISABLED)"};
    std::string advertised;
    for (const auto& token : capabilities) {
        if (upper(token).rfind("AUTH=", 0) == 0 && sasl::sends_password(std::string_view(token).substr(5)))
            advertised += (advertised.empty() ? "" : " ") + token;
    }
    if (advertised.empty()) return {};
    return {true, advertised + " advertised before STARTTLS (LOGINDISABLED disables only the LOGIN command)"};
}

}  // namespace

const TextDialog& imap_dialog() {
    static const TextDialog dialog{
        {
            {StepRole::greeting, "", Grammar::imap, {status_ok}, false, ""},
            {StepRole::capabilities, "CAPABILITY", Grammar::imap, {status_ok}, false, ""},
            {StepRole::starttls, "STARTTLS", Grammar::imap, {status_ok}, false, ""},
        },
        {{StepRole::capabilities, "CAPABILITY", Grammar::imap, {status_ok}, false, ""}},
        capability_tokens,
        offers_starttls,
        plaintext_login,
        {},
    };
    return dialog;
}

}  // namespace tls_checks::starttls
