// POP3 (RFC 1939, RFC 2449 CAPA, RFC 2595 STLS).
#include "starttls/text_dialog.hpp"

namespace tls_checks::starttls {

namespace {

std::vector<std::string> capa_lines(const Reply& reply) { return reply.data; }

bool offers_starttls(const std::vector<std::string>& capabilities) { return has_first_word(capabilities, "STLS"); }

// USER/PASS, or a SASL mechanism that sends the password (RFC 5034), offered before STLS.
LoginExposure plaintext_login(const std::vector<std::string>& capabilities) {
    if (has_first_word(capabilities, "USER")) return {true, "USER advertised before STLS"};
    return {true, sasl_entry_login(capabilities, "SASL", "STLS")};
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
