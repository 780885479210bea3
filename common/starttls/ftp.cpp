// FTP (RFC 959, RFC 2389 FEAT, RFC 4217 AUTH TLS).
#include "starttls/text_dialog.hpp"

namespace tls_checks::starttls {

namespace {

// "211-Features:" / " AUTH TLS" / " PBSZ" / "211 End": the lines between are the features.
std::vector<std::string> feature_lines(const Reply& reply) {
    std::vector<std::string> features;
    for (std::size_t i = 1; i + 1 < reply.lines.size(); ++i) {
        const auto parts = words(reply.lines[i]);
        if (parts.empty()) continue;
        std::string joined;
        for (const auto& part : parts) joined += (joined.empty() ? "" : " ") + part;
        features.push_back(joined);
    }
    return features;
}

bool offers_starttls(const std::vector<std::string>& capabilities) {
    for (const auto& feature : capabilities) {
        const auto parts = words(upper(feature));
        if (parts.size() >= 2 && parts[0] == "AUTH") {
            for (std::size_t i = 1; i < parts.size(); ++i) {
                // "AUTH TLS" or "AUTH TLS;SSL;" style lists (RFC 4217 6).
                if (parts[i].rfind("TLS", 0) == 0) return true;
            }
        }
    }
    return false;
}

}  // namespace

const TextDialog& ftp_dialog() {
    static const TextDialog dialog{
        {
            {StepRole::greeting, "", Grammar::numeric, {220}, false, ""},
            {StepRole::capabilities, "FEAT", Grammar::numeric, {211}, false, ""},
            {StepRole::starttls, "AUTH TLS", Grammar::numeric, {234}, false, ""},
        },
        {},
        feature_lines,
        offers_starttls,
        nullptr,  // whether USER works before AUTH TLS shows only when a user name is sent
        {500, 502, 504},
    };
    return dialog;
}

}  // namespace tls_checks::starttls
