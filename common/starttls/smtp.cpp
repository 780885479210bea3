// SMTP and submission (RFC 5321, RFC 3207): EHLO lists capabilities, one per line; STARTTLS is
// answered 220. LMTP (lmtp.cpp) is the same dialog with LHLO.
#include "starttls/sasl.hpp"
#include "starttls/text_dialog.hpp"

namespace tls_checks::starttls {

namespace {

// EHLO reply: the first line greets, each further line is one extension ("AUTH PLAIN LOGIN").
std::vector<std::string> ehlo_capabilities(const Reply& reply) {
    if (reply.lines.size() < 2) return {};
    return {reply.lines.begin() + 1, reply.lines.end()};
}

bool offers_starttls(const std::vector<std::string>& capabilities) { return has_first_word(capabilities, "STARTTLS"); }

// RFC 4954: AUTH with a mechanism that sends the password (sasl.hpp), advertised before
// STARTTLS, lets a client send it in the clear; "AUTH GSSAPI" or "AUTH SCRAM-SHA-256" alone does
// not. "AUTH=LOGIN PLAIN" is the old Outlook spelling of the same list.
LoginExposure plaintext_login(const std::vector<std::string>& capabilities) {
    for (const auto& entry : capabilities) {
        auto parts = words(entry);
        if (parts.empty()) continue;
        const auto word = upper(parts.front());
        if (word == "AUTH") {
            parts.erase(parts.begin());
        } else if (word.rfind("AUTH=", 0) == 0) {
            parts.front().erase(0, 5);
        } else {
            continue;
        }
        if (sasl::offers_password_mechanism(parts)) return {true, entry + " advertised before STARTTLS"};
    }
    return {};
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
