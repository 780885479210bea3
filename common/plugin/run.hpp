#pragma once
// The single exit point of every plugin: print once to stdout, return the exit code.

#include <functional>
#include <string>
#include <string_view>

namespace tls_checks::plugin {

struct PluginOutput {
    int exit_code = 3;
    std::string text;  // complete output, newline-terminated
};

// Runs `body`; an exception that escapes it becomes one UNKNOWN line instead of a crash or
// a stack trace. SIGPIPE is ignored so that a peer closing mid-write is an error value.
int run_plugin(std::string_view prefix, const std::function<PluginOutput()>& body) noexcept;

}  // namespace tls_checks::plugin
