#include "tls/ossl.hpp"

#include <openssl/err.h>

#include <array>

namespace tls_checks::tls {

void init_openssl() noexcept {
    // Every run sets its whole policy itself, so the system openssl.cnf (whose system_default
    // section would only be overridden) is not read on every run. A check is a short-lived
    // process: freeing OpenSSL's tables at exit costs a twentieth of the run and gives nothing
    // back to anyone. The legacy cipher name table (EVP_get_cipherbyname) is not filled: libssl,
    // PKCS#12 and everything else here fetch ciphers from the providers, and filling it costs
    // 2.3 M instructions, a tenth of a whole check. The digest table stays: X509 signature info
    // (security bits of a certificate's signature) still looks digests up by NID there.
    // Repeated calls are cheap no-ops.
    OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT | OPENSSL_INIT_NO_ADD_ALL_CIPHERS, nullptr);
}

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
