// libFuzzer target: the MTA-STS policy file parser (mail/policy.hpp), a body from any HTTPS server
// that answers for mta-sts.<domain>, and mx matching on what it yields: never a crash, an mx
// pattern that is not lower-case or that its own host does not match, a max_age above one year,
// a mode that needs mx without one, or an error message that is not one printable line.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_invariants.hpp"
#include "mail/policy.hpp"

namespace {

using tls_checks::fuzz::one_printable_line;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tls_checks::mail;
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    const auto parsed = parse_mta_sts_policy(body);
    if (!parsed) {
        if (!one_printable_line(parsed.error().message)) __builtin_trap();
        return 0;
    }
    const MtaStsPolicy& policy = *parsed;
    if (policy.max_age > 31557600) __builtin_trap();
    if (policy.mode != MtaStsMode::none && policy.mx.empty()) __builtin_trap();
    for (const std::string& pattern : policy.mx) {
        if (pattern.empty()) __builtin_trap();
        for (const char c : pattern) {
            if (c >= 'A' && c <= 'Z') __builtin_trap();
        }
        // the host the pattern names (its wildcard label filled in) matches it, in any case, with a trailing dot
        std::string host = pattern.substr(0, 2) == "*." ? "Mx" + pattern.substr(1) : pattern;
        if (!mx_pattern_matches(pattern, host)) __builtin_trap();
        for (char& c : host) {
            if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        }
        if (!mx_pattern_matches(pattern, host + ".")) __builtin_trap();
        if (!matching_mx_pattern(policy, host)) __builtin_trap();
    }
    for (const std::string_view host : {"mail.example.com", "MX.Example.NET.", "example.com", "a.b.example.com", "", "."}) {
        const auto match = matching_mx_pattern(policy, host);
        if (!match) continue;
        if (!mx_pattern_matches(*match, host)) __builtin_trap();
        for (const char c : *match) {
            if (c >= 'A' && c <= 'Z') __builtin_trap();
        }
    }
    return 0;
}
