#include "plugin/run.hpp"

#include <csignal>
#include <cstdio>
#include <exception>

#include "plugin/sanitize.hpp"

namespace tls_checks::plugin {

namespace {

void write_stdout(const std::string& text) noexcept {
    (void)std::fwrite(text.data(), 1, text.size(), stdout);
    (void)std::fflush(stdout);
}

}  // namespace

int run_plugin(std::string_view prefix, const std::function<PluginOutput()>& body) noexcept {
    (void)std::signal(SIGPIPE, SIG_IGN);
    try {
        const PluginOutput output = body();
        write_stdout(output.text);
        return output.exit_code;
    } catch (const std::exception& error) {
        try {
            write_stdout(std::string(prefix) + " UNKNOWN - internal error: " + sanitize_text(error.what(), 300) + "\n");
        } catch (...) {
            write_stdout("UNKNOWN - internal error\n");
        }
    } catch (...) {
        write_stdout("UNKNOWN - internal error\n");
    }
    return 3;
}

}  // namespace tls_checks::plugin
