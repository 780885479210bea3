// POP3 (RFC 1939, RFC 2449 CAPA, RFC 2595 STLS).
#include "starttls/text_dialog.hpp"

namespace tls_checks::starttls {

namespace {

std::vector<std::string> capa_lines(const Reply& reply) { return reply.data; }

bool offers_starttls(const std::vector<std::string>& capabilities) { return has_first_word(capabilities, "STLS"); }

// USER/PASS, or SASL PLAIN/LOGIN, offered before STLS.
std::optional<std::string> plaintext_login(const std::vector<std::string>& capabilities) {
    if (has_first_word(capabilities, "USER")) return std::string("USER advertised before STLS");
    if (const auto sasl = entry_with_first_word(capabilities, "SASL")) {
        for (const auto& mechanism : words(*sasl)) {
            const auto name = upper(mechanism);
            if (name == "PLAIN" || name == "LOGIN") return *sasl + " advertised before STLS";
        }
    }
    return std::nullopt;
}

}  // namespace

const TextDialog& pop3_dialog() {
    static const TextDialog dialog{
        {
            {StepRole::greeting, "", Grammar::pop3, {status_ok}, false, ""},
            {StepRole::capabilities, "CAPA", Grammar::pop3, {status_ok}, true, ""},
            {StepRole::starttls, "STLS", Grammar::pop3, {status_ok}, false, ""},
        },
        {{StepRole::capabilities, "CAPA", Grammar::pop3, {status_ok}, true, ""}},
        capa_lines,
        offers_starttls,
        plaintext_login,
        {},
    };
    return dialog;
}

}  // namespace tls_checks::starttls
