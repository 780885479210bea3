// SMTP and submission (RFC 5321, RFC 3207): EHLO lists capabilities, one per line; STARTTLS is
// answered 220. LMTP (lmtp.cpp) is the same dialog with LHLO.
#include "starttls/text_dialog.hpp"

namespace tls_checks::starttls {

namespace {

// EHLO reply: the first line greets, each further line is one extension ("AUTH PLAIN LOGIN").
std::vector<std::string> ehlo_capabilities(const Reply& reply) {
    if (reply.lines.size() < 2) return {};
    return {reply.lines.begin() + 1, reply.lines.end()};
}

bool offers_starttls(const std::vector<std::string>& capabilities) { return has_first_word(capabilities, "STARTTLS"); }

// RFC 4954: AUTH advertised before STARTTLS lets a client send its password in the clear.
// "AUTH=LOGIN" is the old Outlook spelling of the same.
std::optional<std::string> plaintext_login(const std::vector<std::string>& capabilities) {
    for (const auto& entry : capabilities) {
        const auto word = upper(entry.substr(0, entry.find(' ')));
        if (word == "AUTH" || word.rfind("AUTH=", 0) == 0) return entry + " advertised before STARTTLS";
    }
    return std::nullopt;
}

}  // namespace

TextDialog smtp_style_dialog(std::string_view hello) {
    const std::string hello_command = std::string(hello) + " {ehlo}";
    return TextDialog{
        {
            {StepRole::greeting, "", Grammar::numeric, {220}, false, ""},
            {StepRole::capabilities, hello_command, Grammar::numeric, {250}, false, ""},
            {StepRole::starttls, "STARTTLS", Grammar::numeric, {220}, false, ""},
        },
        // RFC 3207 4.2: the client must forget what it learned and say EHLO again.
        {{StepRole::capabilities, hello_command, Grammar::numeric, {250}, false, ""}},
        ehlo_capabilities,
        offers_starttls,
        plaintext_login,
        {500, 502},
    };
}

const TextDialog& smtp_dialog() {
    static const TextDialog dialog = smtp_style_dialog("EHLO");
    return dialog;
}

}  // namespace tls_checks::starttls
