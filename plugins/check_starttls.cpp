// check_starttls: does a plaintext service still offer STARTTLS, does the upgrade complete, and
// can a password travel before TLS? A missing STARTTLS is the downgrade a man in the middle
// causes by deleting the capability, so it is CRITICAL.

#include <chrono>
#include <string>
#include <vector>

#include "net/line_reader.hpp"
#include "plugin/options.hpp"
#include "plugin/report.hpp"
#include "plugin/run.hpp"
#include "runner/addresses.hpp"
#include "runner/connection.hpp"
#include "starttls/dialog.hpp"
#include "starttls/protocol.hpp"
#include "tls/tls_stream.hpp"

namespace po = boost::program_options;
using namespace tls_checks;
using plugin::State;

namespace {

constexpr plugin::PluginIdentity identity{
    "STARTTLS", "check_starttls",
    "checks that a plaintext service offers STARTTLS, that the upgrade works, and what it exposes before TLS",
    "-H host [-p port] [--starttls proto]", 25};

po::options_description starttls_options() {
    po::options_description options("STARTTLS options", 80);
    // clang-format off
    options.add_options()
        ("plaintext-auth", po::value<std::string>()->value_name("STATE")->default_value("warning"),
            "state when a password could be sent before TLS (ok, warning, critical)");
    // clang-format on
    return options;
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
    return out.empty() ? "none" : out;
}

// One address: the dialog, the upgrade, and what the server showed before and after TLS.
plugin::Report check_address(const plugin::ConnectionOptions& connection, starttls::Protocol protocol,
                             plugin::State plaintext_state, const runner::AddressTarget& target,
                             const net::Deadline& deadline) {
    const std::string name(starttls::info(protocol).name);
    plugin::Report report(std::string(identity.prefix));
    const std::string where = name + " on " + target.where + ":";
    report.set_context(where);

    auto opened = runner::open_tls(connection, protocol, target.endpoints, deadline);
    if (!opened) {
        const auto& failure = opened.error();
        report.add(failure.state, failure.detail);
        if (failure.dialog_failure == starttls::DialogFailure::not_offered) {
            report.add_detail("capabilities before TLS: " + joined(failure.capabilities));
            report.add_detail("a service that stops offering STARTTLS makes \"TLS if available\" clients send "
                              "passwords in plaintext; a man in the middle causes exactly this");
        }
        return report;
    }
    auto& link = *opened;
    const auto& dialog = *link.dialog;
    // The upgrade worked: say so first, whatever else is found.
    report.set_context(where + " STARTTLS offered, " + link.session.protocol + " " + link.session.cipher, "; ");
    if (target.endpoints.size() > 1) report.add_detail("address " + link.endpoint.text + ", the first to accept");
    if (!dialog.greeting.empty()) report.add_detail("greeting: " + dialog.greeting);
    report.add_detail("capabilities before TLS: " + joined(dialog.capabilities));
    if (!dialog.plaintext_login_visible) {
        report.add_detail("plaintext login before TLS: not visible without credentials for " + name);
    } else if (dialog.plaintext_login) {
        report.add(plaintext_state, "plaintext login possible before TLS: " + *dialog.plaintext_login);
    } else {
        report.add_detail("no plaintext login before TLS");
    }

    runner::report_client_certificate_request(report, link.session, connection);

    // Where the protocol requires it, ask again over TLS and show what changed (-v).
    if (link.session.completed) {
        tls::TlsStream stream(link.session, link.socket);
        net::LineReader secure(stream);
        auto after =
            starttls::capabilities_after_tls(protocol, secure, runner::dialog_options_from(connection), deadline);
        if (after) {
            if (!after->empty()) report.add_detail("capabilities after TLS: " + joined(*after));
        } else {
            report.add_detail("capabilities after TLS not read: " + after.error().message);
        }
    }
    link.session.close();

    report.add_perfdata(plugin::seconds_perfdata("time_banner", dialog.greeting_at - link.connected_at));
    report.add_perfdata(plugin::seconds_perfdata("time_starttls", dialog.upgrade_at - dialog.greeting_at));
    report.add_perfdata(plugin::seconds_perfdata("time_handshake", link.handshake_done_at - dialog.upgrade_at));
    return report;
}

plugin::PluginOutput check(int argc, const char* const* argv) {
    const auto started = std::chrono::steady_clock::now();
    auto options = starttls_options();
    options.add(plugin::client_certificate_options());
    auto parsed = plugin::parse_command_line(identity, options, argc, argv);
    if (auto* early = std::get_if<plugin::EarlyExit>(&parsed)) return early->output_of();
    const auto& command_line = std::get<plugin::CommandLine>(parsed);
    const plugin::ConnectionOptions connection = runner::with_protocol_port(command_line.connection);

    const auto plaintext_state_text = command_line.values["plaintext-auth"].as<std::string>();
    const auto plaintext_state = plugin::parse_state(plaintext_state_text);
    if (!plaintext_state || *plaintext_state == State::unknown)
        return plugin::usage_error(identity, "bad --plaintext-auth '" + plaintext_state_text + "': want ok, warning or critical").output_of();

    if (connection.starttls == "none")
        return plugin::usage_error(identity, "--starttls none: use check_tls_cert or check_tls_version for implicit TLS").output_of();
    const auto protocol_or_error = runner::starttls_protocol(connection);
    if (!protocol_or_error) return plugin::usage_error(identity, protocol_or_error.error()).output_of();
    if (!*protocol_or_error) {
        return plugin::usage_error(identity, "port " + std::to_string(connection.port) +
                                                 " is no STARTTLS port: give --starttls PROTO, or use check_tls_cert / "
                                                 "check_tls_version for implicit TLS")
            .output_of();
    }
    const starttls::Protocol protocol = **protocol_or_error;
    const std::string name(starttls::info(protocol).name);
    const auto deadline = runner::deadline_from(connection);

    auto report = runner::check_every_address(
        std::string(identity.prefix), name + " on " + runner::target_from(connection).display() + ":", connection,
        deadline, [&](std::size_t, const runner::AddressTarget& target) {
            return check_address(connection, protocol, *plaintext_state, target, deadline);
        });
    return plugin::finish_report(report, started, connection.verbosity);
}

}  // namespace

int main(int argc, char** argv) {
    return plugin::run_plugin(identity.prefix, [&] { return check(argc, argv); });
}
