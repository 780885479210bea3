// ManageSieve (RFC 5804): the greeting is the capability list, one quoted pair per line;
// after a successful STARTTLS the server lists its capabilities again unasked (2.2).
#include "starttls/text_dialog.hpp"

namespace tls_checks::starttls {

namespace {

// "\"SASL\" \"PLAIN LOGIN\"" becomes "SASL PLAIN LOGIN" (literals arrive folded into quoted strings:
// text_dialog.cpp).
std::vector<std::string> capability_lines(const Reply& reply) {
    std::vector<std::string> capabilities;
    for (const auto& line : reply.lines) {
        if (line.empty() || line.front() != '"') continue;  // the final OK line
        std::string entry;
        bool quoted = false;
        bool escaped = false;  // RFC 5804 4: a backslash escapes '"' and itself inside a quoted string
        for (const char c : line) {
            if (escaped) {
                entry += c;
                escaped = false;
            } else if (quoted && c == '\\') {
                escaped = true;
            } else if (c == '"') {
                quoted = !quoted;
                if (!quoted) entry += ' ';
            } else if (quoted) {
                entry += c;
            }
        }
        while (!entry.empty() && entry.back() == ' ') entry.pop_back();
        capabilities.push_back(entry);
    }
    return capabilities;
}

bool offers_starttls(const std::vector<std::string>& capabilities) { return has_first_word(capabilities, "STARTTLS"); }

// RFC 5804 1.7: "SASL" lists the mechanisms AUTHENTICATE takes; one that sends the password
// (sasl.hpp) before STARTTLS sends it in the clear.
LoginExposure plaintext_login(const std::vector<std::string>& capabilities) {
    return {true, sasl_entry_login(capabilities, "SASL", "STARTTLS")};
}

}  // namespace

const TextDialog& sieve_dialog() {
    static const TextDialog dialog{
        {
            {StepRole::greeting, "", Grammar::sieve, {status_ok}, false, ""},
            {StepRole::starttls, "STARTTLS", Grammar::sieve, {status_ok}, false, ""},
        },
        {{StepRole::capabilities, "", Grammar::sieve, {status_ok}, false, ""}},
        capability_lines,
        offers_starttls,
        plaintext_login,
        {},
    };
    return dialog;
}

}  // namespace tls_checks::starttls
