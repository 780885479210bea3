#pragma once
// How long until (or since) a moment, in words for a status line: "expires in 20 days",
// "expired 5 hours ago".

#include <cstddef>
#include <cstdint>
#include <string>

namespace tls_checks::plugin {

// `seconds` is a duration, not negative (callers pass the absolute value; a negative one is
// read as its absolute value, NaN as 0). Rounded, never truncated, to the largest unit that
// fits, so no unit ever shows its next unit's worth ("24 hours", "60 minutes"):
//   at least one day:  days with one decimal, ".0" dropped   "200.5 days", "20 days", "1 day"
//   below one day:     whole hours                           "5 hours", "1 hour"
//   below one hour:    whole minutes                         "50 minutes", "1 minute"
//   below one minute:  whole seconds                         "30 seconds", "1 second", "0 seconds"
std::string remaining_text(double seconds);

// A moment (seconds since the epoch) as "2026-12-01 17:27 UTC"; "?" when it cannot be shown.
std::string utc_date(std::int64_t epoch);

// "1 address", "3 addresses".
std::string count_text(std::size_t count, const char* one, const char* many);

}  // namespace tls_checks::plugin
