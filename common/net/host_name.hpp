#pragma once
// The one form of a user-given host name that SNI, certificate name matching and DNS all use.

#include <string>
#include <string_view>

#include "base/expected.hpp"

namespace tls_checks::net {

struct HostNameError {
    std::string message;
};

// The form of a user-given host name that goes into SNI, name matching and DNS:
//  - one trailing dot removed ("example.org." -> "example.org"; RFC 6066 §3: SNI has no
//    trailing dot); a name that is empty or has an empty last label ("", ".", "..") is an error;
//  - an IP literal (v4 or v6, as is_ip_literal() in net/resolve.hpp says) returned unchanged;
//  - a name with a NUL byte is an error (SNI, DNS and libidn2 all take C strings);
//  - a name with non-ASCII bytes (a U-label, "bücher.example") converted to its A-label
//    ("xn--bcher-kva.example") with libidn2: IDNA2008 (RFC 5891) with the UTS #46
//    non-transitional mapping, so "Bücher.Example" works too; the result is lower-case ASCII.
//    libidn2.so.0 is opened with dlopen() on the first such name, not linked: linking it costs
//    every run's start-up 15%; when it cannot be opened, the error says so;
//  - a name that cannot be converted (invalid UTF-8, a disallowed code point, too long) is an
//    error saying why in libidn2's words (idn2_strerror), with the name as given:
//    "cannot convert 'b\xffcher.example' to an A-label: string encoding error" (not sanitized:
//    callers sanitize);
//  - a pure-ASCII name is returned as it is (less the trailing dot), without libidn2.
Expected<std::string, HostNameError> normalize_host_name(std::string_view name);

namespace detail {
// normalize_host_name() with libidn2 opened under the name `idn2_library` (a path or soname)
// instead of the system's libidn2.so.0, uncached: lets a test prove the error for a missing one.
Expected<std::string, HostNameError> normalize_host_name_with(std::string_view name, const char* idn2_library);
}  // namespace detail

}  // namespace tls_checks::net
