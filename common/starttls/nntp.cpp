// NNTP (RFC 3977 CAPABILITIES, RFC 4642 STARTTLS: 382 to go ahead, RFC 4643 AUTHINFO).
#include "starttls/text_dialog.hpp"

namespace tls_checks::starttls {

namespace {

std::vector<std::string> capability_lines(const Reply& reply) { return reply.data; }

bool offers_starttls(const std::vector<std::string>& capabilities) { return has_first_word(capabilities, "STARTTLS"); }

// RFC 4643: AUTHINFO USER takes the password in the clear; so does AUTHINFO SASL with a
// mechanism that sends it (the "SASL" capability line lists them).
LoginExposure plaintext_login(const std::vector<std::string>& capabilities) {
    if (const auto authinfo = entry_with_first_word(capabilities, "AUTHINFO")) {
        for (const auto& word : words(*authinfo)) {
            if (upper(word) == "USER") return {true, *authinfo + " advertised before STARTTLS"};
        }
    }
    return {true, sasl_entry_login(capabilities, "SASL", "STARTTLS")};
}

}  // namespace

const TextDialog& nntp_dialog() {
    static const TextDialog dialog{
        {
            {StepRole::greeting, "", Grammar::numeric, {200, 201}, false, ""},
            {StepRole::capabilities, "CAPABILITIES", Grammar::numeric, {101}, true, ""},
            {StepRole::starttls, "STARTTLS", Grammar::numeric, {382}, false, ""},
        },
        {{StepRole::capabilities, "CAPABILITIES", Grammar::numeric, {101}, true, ""}},
        capability_lines,
        offers_starttls,
        plaintext_login,
        {500},
    };
    return dialog;
}

}  // namespace tls_checks::starttls
