#include "tls/ossl.hpp"

#include <openssl/err.h>

#include <array>

namespace tls_checks::tls {

std::string drain_openssl_errors(const std::string& fallback) {
    std::string out;
    unsigned long code = 0;
    while ((code = ERR_get_error()) != 0) {
        std::array<char, 256> text{};
        ERR_error_string_n(code, text.data(), text.size());
        // Keep the reason, drop the "error:0A000086:SSL routines::" prefix.
        std::string line(text.data());
        if (const auto colons = line.rfind("::"); colons != std::string::npos) line = line.substr(colons + 2);
        else if (const auto last = line.rfind(':'); last != std::string::npos) line = line.substr(last + 1);
        if (!out.empty()) out += "; ";
        out += line;
    }
    return out.empty() ? fallback : out;
}

}  // namespace tls_checks::tls
