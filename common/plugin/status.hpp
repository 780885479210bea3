#pragma once
// Plugin states and their exit codes (Monitoring Plugins development guidelines).

#include <optional>
#include <string_view>

namespace tls_checks::plugin {

enum class State : int { ok = 0, warning = 1, critical = 2, unknown = 3 };

// Exit code of a plugin that ends in this state.
constexpr int exit_code(State state) noexcept { return static_cast<int>(state); }

// "OK", "WARNING", "CRITICAL", "UNKNOWN" as printed on the status line.
std::string_view state_name(State state) noexcept;

// Parses "ok", "warning", "critical", "unknown" (any case; also the numbers 0-3).
std::optional<State> parse_state(std::string_view text) noexcept;

// Severity order used when states are combined: OK < WARNING < UNKNOWN < CRITICAL.
// A proven CRITICAL outranks an UNKNOWN; an UNKNOWN outranks a WARNING (Icinga 2's order).
int severity(State state) noexcept;

// The more severe of two states.
State worst(State a, State b) noexcept;

}  // namespace tls_checks::plugin
