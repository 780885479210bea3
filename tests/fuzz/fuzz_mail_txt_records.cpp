// libFuzzer target: the mail TXT records (mail/policy.hpp), which any DNS answer can fill: the
// MTA-STS and TLS-RPT record parsers on the whole input, select_versioned_record on its lines
// with both version tags, and mx_pattern_matches with the first line as pattern and the rest as
// host. Never a crash, an id outside 1-32 letters and digits, a rua URI of another scheme, an
// index out of range, or an error message that is not one printable line.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_invariants.hpp"
#include "mail/policy.hpp"

namespace {

using tls_checks::fuzz::one_printable_line;

bool alnum(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool starts_ignoring_case(std::string_view text, std::string_view lower_prefix) {
    if (text.size() < lower_prefix.size()) return false;
    for (std::size_t i = 0; i < lower_prefix.size(); ++i) {
        char c = text[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != lower_prefix[i]) return false;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tls_checks::mail;
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    const auto sts = parse_mta_sts_record(text);
    if (sts) {
        if (sts->id.empty() || sts->id.size() > 32) __builtin_trap();
        for (const char c : sts->id) {
            if (!alnum(c)) __builtin_trap();
        }
    } else if (!one_printable_line(sts.error().message)) {
        __builtin_trap();
    }

    const auto rpt = parse_tls_rpt_record(text);
    if (rpt) {
        if (rpt->rua.empty()) __builtin_trap();
        for (const std::string& uri : rpt->rua) {
            const bool mailto = starts_ignoring_case(uri, "mailto:") && uri.size() > 7;
            const bool https = starts_ignoring_case(uri, "https:") && uri.size() > 6;
            if (!mailto && !https) __builtin_trap();
        }
    } else if (!one_printable_line(rpt.error().message)) {
        __builtin_trap();
    }

    std::vector<std::string> lines;
    for (std::size_t start = 0;;) {
        const std::size_t newline = text.find('\n', start);
        lines.emplace_back(text.substr(start, newline == std::string_view::npos ? std::string_view::npos : newline - start));
        if (newline == std::string_view::npos) break;
        start = newline + 1;
    }
    for (const std::string_view tag : {std::string_view("v=STSv1"), std::string_view("v=TLSRPTv1")}) {
        const auto index = select_versioned_record(lines, tag);
        if (index) {
            if (*index >= lines.size() || lines[*index].compare(0, tag.size(), tag) != 0) __builtin_trap();
        } else if (!one_printable_line(index.error().message)) {
            __builtin_trap();
        }
    }

    const std::size_t newline = text.find('\n');
    if (newline != std::string_view::npos) {
        const std::string_view pattern = text.substr(0, newline);
        const std::string_view host = text.substr(newline + 1);
        if (mx_pattern_matches(pattern, host) && host.empty()) __builtin_trap();
    }
    return 0;
}
