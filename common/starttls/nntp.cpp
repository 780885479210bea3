// NNTP (RFC 3977 CAPABILITIES, RFC 4642 STARTTLS: 382 to go ahead, RFC 4643 AUTHINFO).
#include "starttls/text_dialog.hpp"

namespace tls_checks::starttls {

namespace {

std::vector<std::string> capability_lines(const Reply& reply) { return reply.data; }

bool offers_starttls(const std::vector<std::string>& capabilities) { return has_first_word(capabilities, "STARTTLS"); }

std::optional<std::string> plaintext_login(const std::vector<std::string>& capabilities) {
    if (const auto authinfo = entry_with_first_word(capabilities, "AUTHINFO")) {
        for (const auto& word : words(*authinfo)) {
            if (upper(word) == "USER") return *authinfo + " advertised before STARTTLS";
        }
    }
    if (const auto sasl = entry_with_first_word(capabilities, "SASL")) {
        for (const auto& word : words(*sasl)) {
            if (upper(word) == "PLAIN" || upper(word) == "LOGIN") return *sasl + " advertised before STARTTLS";
        }
    }
    return std::nullopt;
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
