#pragma once
// The texts a mail domain publishes about TLS for its MX hosts, parsed: the MTA-STS TXT record
// (RFC 8461 3.1, _mta-sts.<domain>), the MTA-STS policy file (RFC 8461 3.2, fetched from
// https://mta-sts.<domain>/.well-known/mta-sts.txt), the TLS-RPT TXT record (RFC 8460 3,
// _smtp._tls.<domain>), and whether an MX host name matches a policy's mx patterns (RFC 8461 4.1).
// Pure text in, values or one-line errors out: no DNS, no HTTPS, no exceptions for bad input.
// Error messages quote at most 64 bytes of the input, non-printable bytes as \xNN.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.hpp"

namespace tls_checks::mail {

// What is wrong with a record or policy, in one line ("line 3: ..." for the policy file).
struct ParseError {
    std::string message;
};

// An MTA-STS TXT record: "v=STSv1; id=20160831085700Z;".
struct MtaStsRecord {
    std::string id;  // the policy instance id: 1 to 32 letters and digits
};

// Parses one MTA-STS TXT record (its strings already joined). Unknown fields are ignored.
[[nodiscard]] Expected<MtaStsRecord, ParseError> parse_mta_sts_record(std::string_view txt);

// A TLS-RPT TXT record: "v=TLSRPTv1; rua=mailto:reports@example.com,https://r.example.com/x".
struct TlsRptRecord {
    std::vector<std::string> rua;  // each reporting URI as written (trimmed), at least one
};

// Parses one TLS-RPT TXT record (its strings already joined). Unknown fields are ignored.
[[nodiscard]] Expected<TlsRptRecord, ParseError> parse_tls_rpt_record(std::string_view txt);

// Of several TXT records at one name, the index of the one that starts with `version_tag`
// ("v=STSv1" or "v=TLSRPTv1", followed by the end, or by optional whitespace and ";"). The others
// are ignored; none or more than one is an error ("no record starts with v=STSv1",
// "2 records start with v=STSv1").
[[nodiscard]] Expected<std::size_t, ParseError> select_versioned_record(const std::vector<std::string>& txts,
                                                                        std::string_view version_tag);

// The policy's mode (RFC 8461 5): refuse mail to MX hosts that fail, only report, or no policy.
enum class MtaStsMode { enforce, testing, none };

// "enforce", "testing" or "none", as in the policy file.
[[nodiscard]] std::string_view mode_name(MtaStsMode mode) noexcept;

// An MTA-STS policy file.
struct MtaStsPolicy {
    MtaStsMode mode = MtaStsMode::none;
    std::vector<std::string> mx;  // patterns in file order, lower-cased: "mail.example.com", "*.example.net"
    std::uint64_t max_age = 0;    // seconds, at most 31557600 (one year)
};

// Parses a policy file body: LF or CRLF lines of "key: value", at most 64 KiB. Requires version
// STSv1, mode and max_age once each, and an mx line unless the mode is none; ignores unknown keys.
[[nodiscard]] Expected<MtaStsPolicy, ParseError> parse_mta_sts_policy(std::string_view body);

// Does MX host name `host` (any case, with or without one trailing dot) match the policy pattern
// `pattern`? Exact names compare ignoring case; "*.example.com" matches exactly one more label on
// the left ("mx.example.com", not "example.com" nor "a.b.example.com").
[[nodiscard]] bool mx_pattern_matches(std::string_view pattern, std::string_view host) noexcept;

// The first of the policy's mx patterns that `host` matches, or nullopt when none does.
[[nodiscard]] std::optional<std::string> matching_mx_pattern(const MtaStsPolicy& policy, std::string_view host);

}  // namespace tls_checks::mail
