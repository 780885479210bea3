// check_tls_version: which of SSLv2, SSLv3, TLS 1.0, 1.1, 1.2 and 1.3 does a service accept, and
// does that break policy? Every version is probed with a hand-built hello, all in parallel.

#include <algorithm>
#include <array>
#include <bitset>
#include <chrono>
#include <string>
#include <vector>

#include "plugin/options.hpp"
#include "plugin/report.hpp"
#include "plugin/run.hpp"
#include "runner/connection.hpp"
#include "starttls/protocol.hpp"
#include "tls/client_hello.hpp"
#include "tls/probe.hpp"
#include "tls/protocol_version.hpp"

namespace po = boost::program_options;
using namespace tls_checks;
using plugin::State;
using tls::ProbeVerdict;
using tls::ProtocolVersion;

namespace {

constexpr plugin::PluginIdentity identity{
    "TLS_VERSION", "check_tls_version",
    "probes which SSL/TLS protocol versions a service accepts, SSLv2 and SSLv3 included",
    "-H host [-p port] [--{forbid,discourage,require} list]", 443};

using VersionSet = std::bitset<tls::all_versions.size()>;

std::size_t index_of(ProtocolVersion version) { return static_cast<std::size_t>(version); }

struct Config {
    VersionSet forbid;
    VersionSet discourage;
    VersionSet require;
    bool fallback_scsv = false;
};

po::options_description version_options() {
    po::options_description options("Version policy (lists of sslv2,sslv3,tls1.0,tls1.1,tls1.2,tls1.3)", 80);
    // clang-format off
    options.add_options()
        ("forbid", po::value<std::string>()->value_name("LIST")->default_value("sslv2,sslv3"),
            "CRITICAL when one of these is accepted (\"none\" for no version)")
        ("discourage", po::value<std::string>()->value_name("LIST")->default_value("tls1.0,tls1.1"),
            "WARNING when one of these is accepted (RFC 8996)")
        ("require", po::value<std::string>()->value_name("LIST")->default_value("none"),
            "CRITICAL when one of these is not accepted")
        ("fallback-scsv", po::bool_switch(),
            "WARNING unless a hello below the best version with TLS_FALLBACK_SCSV is refused "
            "with inappropriate_fallback (RFC 7507)");
    // clang-format on
    return options;
}

Expected<VersionSet, std::string> parse_list(const std::string& option, const std::string& text) {
    VersionSet set;
    if (text.empty() || text == "none") return set;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto comma = text.find(',', start);
        const auto item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        const auto version = tls::parse_option_name(item);
        if (!version) {
            return unexpected("bad --" + option + ": '" + item +
                              "' is not one of sslv2, sslv3, tls1.0, tls1.1, tls1.2, tls1.3");
        }
        set.set(index_of(*version));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return set;
}

Expected<Config, std::string> read_config(const po::variables_map& values) {
    Config config;
    for (const auto& [name, into] : {std::pair<const char*, VersionSet*>{"forbid", &config.forbid},
                                     {"discourage", &config.discourage}, {"require", &config.require}}) {
        auto set = parse_list(name, values[name].as<std::string>());
        if (!set) return unexpected(set.error());
        *into = *set;
    }
    if ((config.forbid & config.require).any()) return unexpected(std::string("a version cannot be both forbidden and required"));
    if ((config.discourage & config.require).any())
        return unexpected(std::string("a version cannot be both discouraged and required"));
    config.fallback_scsv = values["fallback-scsv"].as<bool>();
    return config;
}

std::string verdict_text(const tls::ProbeResult& result) {
    switch (result.answer.verdict) {
        case ProbeVerdict::accepted: return "accepted";
        case ProbeVerdict::refused: return "refused";
        case ProbeVerdict::unknown: break;
    }
    return "unknown";
}

std::vector<tls::ProbeRequest> requests_for(const plugin::ConnectionOptions& connection) {
    const auto server_name = runner::server_name_for(connection);
    std::vector<tls::ProbeRequest> requests;
    for (const auto version : tls::all_versions) {
        auto options = tls::random_hello_options();
        // SSL 3.0 predates extensions; SNI goes only into TLS hellos.
        if (version != ProtocolVersion::sslv2 && version != ProtocolVersion::sslv3) options.server_name = server_name;
        requests.push_back({version, tls::build_client_hello(version, options)});
    }
    return requests;
}

bool none_connected(const std::vector<tls::ProbeResult>& results) {
    return std::all_of(results.begin(), results.end(),
                       [](const tls::ProbeResult& r) { return r.connect_error.has_value(); });
}

struct ProbeRound {
    const net::Endpoint* endpoint = nullptr;  // where the probes went
    std::vector<tls::ProbeResult> results;
};

// Runs `requests` on one address: all under one poll() loop for implicit TLS, one thread per
// probe when each must first go through the STARTTLS dialog.
struct Prober {
    const plugin::ConnectionOptions& connection;
    std::optional<starttls::Protocol> protocol;
    std::vector<std::optional<runner::Failure>> dialog_failures;  // per probe, for the report

    std::vector<tls::ProbeResult> run(const net::Endpoint& endpoint, const std::vector<tls::ProbeRequest>& requests,
                                      const net::Deadline& deadline) {
        if (!protocol) return tls::run_probes(endpoint, requests, deadline);
        dialog_failures.assign(requests.size(), std::nullopt);
        return tls::run_probes_with_preamble(
            endpoint, requests,
            [this](std::size_t probe, net::Socket& socket, const net::Deadline& until) {
                auto dialog = runner::run_dialog(*protocol, socket, connection, until);
                if (!dialog) dialog_failures[probe] = std::move(dialog.error());
                return dialog.has_value();
            },
            deadline);
    }
};

// Probes on the first address; when every probe fails to connect there, on the next one.
ProbeRound probe_all(Prober& prober, const std::vector<net::Endpoint>& endpoints,
                     const std::vector<tls::ProbeRequest>& requests, const net::Deadline& deadline) {
    ProbeRound round;
    for (const auto& endpoint : endpoints) {
        round.endpoint = &endpoint;
        round.results = prober.run(endpoint, requests, deadline);
        if (!none_connected(round.results)) break;
    }
    return round;
}

void judge_fallback(plugin::Report& report, Prober& prober, const net::Endpoint& endpoint,
                    const std::vector<tls::ProbeResult>& results, const net::Deadline& deadline) {
    const auto& connection = prober.connection;
    // RFC 7507: a client that retries with a lower version says so with TLS_FALLBACK_SCSV; a
    // server that speaks something better must refuse with inappropriate_fallback.
    std::vector<ProtocolVersion> accepted;
    for (const auto& result : results) {
        if (result.version != ProtocolVersion::sslv2 && result.answer.verdict == ProbeVerdict::accepted)
            accepted.push_back(result.version);
    }
    if (accepted.size() < 2) {
        report.add_detail("fallback SCSV: not applicable, fewer than two versions accepted");
        return;
    }
    const ProtocolVersion best = accepted.back();
    const ProtocolVersion lower = accepted[accepted.size() - 2];
    auto options = tls::random_hello_options();
    options.fallback_scsv = true;
    if (lower != ProtocolVersion::sslv3) options.server_name = runner::server_name_for(connection);
    const std::vector<tls::ProbeRequest> request{{lower, tls::build_client_hello(lower, options)}};
    const auto result = prober.run(endpoint, request, deadline).front();
    const std::string hello = std::string(tls::display_name(lower)) + " hello with TLS_FALLBACK_SCSV (best is " +
                              std::string(tls::display_name(best)) + ")";
    const auto& answer = result.answer;
    if (answer.alert && answer.alert->description == 86) {
        report.add(State::ok, "downgrade protection: " + hello + " refused with inappropriate_fallback");
    } else if (answer.verdict == ProbeVerdict::unknown) {
        report.add(State::unknown, "downgrade protection unknown: " + hello + ": " + answer.detail);
    } else {
        report.add(State::warning, "no downgrade protection (RFC 7507): " + hello + " " +
                                       (answer.verdict == ProbeVerdict::accepted ? "accepted" : "answered with " + answer.detail));
    }
}

plugin::PluginOutput check(int argc, const char* const* argv) {
    const auto started = std::chrono::steady_clock::now();
    auto parsed = plugin::parse_command_line(identity, version_options(), argc, argv);
    if (auto* early = std::get_if<plugin::EarlyExit>(&parsed)) return early->output_of();
    const auto& command_line = std::get<plugin::CommandLine>(parsed);
    const auto connection = runner::with_protocol_port(command_line.connection);
    const auto config_or_error = read_config(command_line.values);
    if (!config_or_error) return plugin::usage_error(identity, config_or_error.error()).output_of();
    const auto protocol = runner::starttls_protocol(connection);
    if (!protocol) return plugin::usage_error(identity, protocol.error()).output_of();
    const Config& config = *config_or_error;
    const auto deadline = runner::deadline_from(connection);

    plugin::Report report(std::string(identity.prefix));
    const std::string where = runner::target_from(connection).display();
    report.set_context(where);
    const auto finish = [&](plugin::Report& done) { return plugin::finish_report(done, started, connection.verbosity); };

    auto endpoints = runner::resolve_target(connection, deadline);
    if (!endpoints) {
        report.add(endpoints.error().state, endpoints.error().message);
        return finish(report);
    }
    Prober prober{connection, *protocol, {}};
    const auto round = probe_all(prober, *endpoints, requests_for(connection), deadline);
    const auto& results = round.results;

    // STARTTLS failed on every probe: that is the finding (not offered is a downgrade).
    const bool every_dialog_failed = !prober.dialog_failures.empty() &&
        std::all_of(prober.dialog_failures.begin(), prober.dialog_failures.end(), [](const auto& f) { return f.has_value(); });
    if (every_dialog_failed) {
        report.add(prober.dialog_failures.front()->state, prober.dialog_failures.front()->message);
        return finish(report);
    }

    // Nothing reached the service at all: one clear line, as the other plugins give.
    const bool all_timed_out =
        std::all_of(results.begin(), results.end(), [](const tls::ProbeResult& r) { return r.timed_out; });
    if (none_connected(results)) {
        report.add(runner::state_for(*results.front().connect_error, connection), results.front().connect_error->message);
        return finish(report);
    }
    if (all_timed_out) {
        report.add(connection.timeout_state, "no probe was answered within " +
                                                 std::to_string(static_cast<int>(connection.timeout_seconds + 0.5)) + " s");
        for (const auto& result : results)
            report.add_detail(std::string(tls::display_name(result.version)) + ": " + result.answer.detail);
        return finish(report);
    }

    // No probe got a verdict, some got an answer: the service does not speak SSL/TLS here (a
    // plaintext port, a STARTTLS port without --starttls). One finding says it; the long output
    // keeps every probe's detail.
    const bool any_verdict = std::any_of(results.begin(), results.end(), [](const tls::ProbeResult& r) {
        return r.answer.verdict != ProbeVerdict::unknown;
    });
    if (!any_verdict) {
        const auto answered = std::find_if(results.begin(), results.end(),
                                           [](const tls::ProbeResult& r) { return !r.timed_out && !r.connect_error; });
        const auto& example = answered != results.end() ? *answered : results.front();
        report.add(State::unknown, "no SSL/TLS answer to any probe (" + std::string(tls::display_name(example.version)) +
                                       ": " + example.answer.detail + ")");
    }

    std::string accepted_list;
    bool allowed_accepted = false;
    bool allowed_unknown = false;
    for (const auto& result : results) {
        const auto version = result.version;
        const auto name = std::string(tls::display_name(version));
        const auto verdict = result.answer.verdict;
        const bool forbidden = config.forbid.test(index_of(version));
        report.add_detail(name + ": " + verdict_text(result) + " (" + result.answer.detail + ")");

        plugin::Perfdata perf;
        perf.label = std::string(tls::perfdata_label(version));
        perf.decimals = 0;
        if (verdict != ProbeVerdict::unknown) perf.value = verdict == ProbeVerdict::accepted ? 1 : 0;
        report.add_perfdata(std::move(perf));

        if (verdict == ProbeVerdict::accepted) {
            accepted_list += (accepted_list.empty() ? "" : ", ") + name;
            if (!forbidden) allowed_accepted = true;
            const std::string note = result.answer.sslv2_cipher_count == std::size_t{0} ? ", with no ciphers" : "";
            if (forbidden) report.add(State::critical, name + " accepted (forbidden)" + note);
            else if (config.discourage.test(index_of(version))) report.add(State::warning, name + " accepted (discouraged)");
        } else if (verdict == ProbeVerdict::refused) {
            if (config.require.test(index_of(version))) report.add(State::critical, name + " not accepted (required)");
        } else {
            if (!forbidden) allowed_unknown = true;
            std::string detail = result.answer.detail;
            if (result.preamble_failed && prober.dialog_failures[static_cast<std::size_t>(version)])
                detail = prober.dialog_failures[static_cast<std::size_t>(version)]->message;
            if (any_verdict) report.add(State::unknown, name + " unknown: " + detail);
        }
    }
    if (!allowed_accepted && !allowed_unknown) report.add(State::critical, "accepts none of the allowed versions");
    report.set_context(where + (accepted_list.empty() ? " accepts no version" : " accepts " + accepted_list), "; ");

    if (config.fallback_scsv) judge_fallback(report, prober, *round.endpoint, results, deadline);
    return finish(report);
}

}  // namespace

int main(int argc, char** argv) {
    return plugin::run_plugin(identity.prefix, [&] { return check(argc, argv); });
}
