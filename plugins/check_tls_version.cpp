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
#include "net/connector.hpp"
#include "runner/addresses.hpp"
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
    std::size_t max_connections = tls::default_max_connections;
    bool fallback_scsv = false;
    bool require_pq = false;
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
            "with inappropriate_fallback (RFC 7507)")
        ("require-pq", po::bool_switch(),
            "CRITICAL unless TLS 1.3 is accepted with a post-quantum hybrid key exchange "
            "(X25519MLKEM768, SecP256r1MLKEM768, SecP384r1MLKEM1024)");
    // clang-format on
    po::options_description limits("Connections", 80);
    limits.add_options()("max-connections",
                         po::value<std::string>()->value_name("N")->default_value(
                             std::to_string(tls::default_max_connections)),
                         "at most N probe connections open at once (1..64); daemons limit connections "
                         "per client address, Courier's MAXPERIP to 4");
    options.add(limits);
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
    const auto max_connections = plugin::parse_integer(values["max-connections"].as<std::string>(), 1,
                                                       static_cast<long>(tls::max_max_connections));
    if (!max_connections)
        return unexpected("bad --max-connections: '" + values["max-connections"].as<std::string>() +
                          "' is not a number from 1 to " + std::to_string(tls::max_max_connections));
    config.max_connections = static_cast<std::size_t>(*max_connections);
    config.fallback_scsv = values["fallback-scsv"].as<bool>();
    config.require_pq = values["require-pq"].as<bool>();
    return config;
}

std::string verdict_text(const tls::ProbeResult& result) {
    switch (result.answer.verdict) {
        case ProbeVerdict::accepted: return "accepted";
        case ProbeVerdict::refused: return "refused";
        case ProbeVerdict::unknown: break;
    }
    return "undecided";
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

// No probe got a TCP connection: nothing listens there, or the address does not answer.
bool none_connected(const std::vector<tls::ProbeResult>& results) {
    return std::none_of(results.begin(), results.end(), [](const tls::ProbeResult& r) { return r.connected; });
}

// Runs `requests` on one address: all under one poll() loop for implicit TLS, one thread per
// probe when each must first go through the STARTTLS dialog.
struct Prober {
    const plugin::ConnectionOptions& connection;
    std::optional<starttls::Protocol> protocol;
    std::size_t max_connections;     // --max-connections
    std::size_t& connections_opened;  // every probe's TCP connections, retries included
    std::vector<std::optional<runner::Failure>> dialog_failures;  // per probe, for the report

    std::vector<tls::ProbeResult> run(const net::Endpoint& endpoint, const std::vector<tls::ProbeRequest>& requests,
                                      const net::Deadline& deadline, std::optional<net::Socket> connected = std::nullopt) {
        auto results = protocol ? run_with_dialog(endpoint, requests, deadline, std::move(connected))
                                : tls::run_probes(endpoint, requests, deadline, max_connections, std::move(connected));
        for (const auto& result : results) connections_opened += result.connections;
        return results;
    }

    std::vector<tls::ProbeResult> run_with_dialog(const net::Endpoint& endpoint, const std::vector<tls::ProbeRequest>& requests,
                                                  const net::Deadline& deadline, std::optional<net::Socket> connected) {
        dialog_failures.assign(requests.size(), std::nullopt);
        return tls::run_probes_with_preamble(
            endpoint, requests,
            [this](std::size_t probe, net::Socket& socket, const net::Deadline& until) {
                auto dialog = runner::run_dialog(*protocol, socket, connection, until);
                // A retried probe runs the dialog again: only its last failure counts.
                dialog_failures[probe] = dialog ? std::nullopt : std::optional(std::move(dialog.error()));
                return dialog.has_value();
            },
            deadline, max_connections, std::move(connected));
    }
};

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
    // The best version is proven only when no probe above it is undecided: a fallback hello aimed
    // below a guessed best would prove nothing.
    const auto undecided_above = std::find_if(results.begin(), results.end(), [&](const tls::ProbeResult& r) {
        return r.version != ProtocolVersion::sslv2 && r.answer.verdict == ProbeVerdict::unknown &&
               (accepted.empty() || r.version > accepted.back());
    });
    if (undecided_above != results.end()) {
        report.add_detail("fallback SCSV: not tested, the best version is not proven (" +
                          std::string(tls::display_name(undecided_above->version)) + " undecided)");
        return;
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
    } else if (answer.negotiated) {
        // Only a completed lower-version ServerHello lets an attacker force the downgrade.
        report.add(State::warning, "no downgrade protection (RFC 7507): " + hello + " " +
                                       (answer.verdict == ProbeVerdict::accepted ? "accepted" : "answered with " + answer.detail));
    } else {
        // GnuTLS, among others, ends such a hello with close_notify or another alert: not the
        // alert RFC 7507 names, but no lower-version handshake happens, so the downgrade fails.
        report.add(State::ok, "downgrade protection: " + hello + " refused (" + answer.detail +
                                  ", not inappropriate_fallback, but no lower-version handshake)");
    }
}

// --require-pq. The TLS 1.3 probe lists the ML-KEM hybrids first in supported_groups and shares
// only X25519 (RFC 8446 4.2.8), so a server preferring a hybrid asks for it in a HelloRetryRequest
// and one that chooses X25519 (or another classic group) prefers classic key exchange.
void judge_post_quantum(plugin::Report& report, const std::vector<tls::ProbeResult>& results) {
    const auto tls13 = std::find_if(results.begin(), results.end(),
                                    [](const tls::ProbeResult& r) { return r.version == ProtocolVersion::tls1_3; });
    if (tls13 == results.end()) return;
    const auto& answer = tls13->answer;
    const std::string how = answer.hello_retry_request ? "asks for " : "chose ";
    if (answer.verdict == ProbeVerdict::unknown) {
        report.add(State::unknown, "post-quantum key exchange unknown: TLSv1.3 undecided");
    } else if (answer.verdict == ProbeVerdict::refused) {
        report.add(State::critical, "no post-quantum key exchange: TLSv1.3 not accepted");
    } else if (!answer.group) {
        report.add(State::critical, "no post-quantum key exchange: TLSv1.3 accepted without naming a group");
    } else if (!tls::is_post_quantum_hybrid(*answer.group)) {
        report.add(State::critical, "no post-quantum key exchange: TLSv1.3 " + how + tls::named_group_name(*answer.group) +
                                        " over the offered ML-KEM hybrids");
    } else {
        report.add(State::ok, "post-quantum key exchange: TLSv1.3 " + how + tls::named_group_name(*answer.group));
    }
}

// One address: every version probed (over the first of several endpoints to accept a
// connection, which the first probe then uses), then judged against the policy.
plugin::Report check_address(const Config& config, const plugin::ConnectionOptions& connection,
                             std::optional<starttls::Protocol> protocol, const runner::AddressTarget& target,
                             const net::Deadline& deadline) {
    plugin::Report report(std::string(identity.prefix));
    const std::string& where = target.where;
    report.set_context(where);
    // TCP connections the check opened, retries included: what a per-address limit counts.
    std::size_t connections_opened = 0;
    Prober prober{connection, protocol, config.max_connections, connections_opened, {}};
    const auto with_connections = [&]() -> plugin::Report {
        plugin::Perfdata connections;
        connections.label = "connections";
        connections.value = static_cast<double>(connections_opened);
        connections.decimals = 0;
        report.add_perfdata(std::move(connections));
        return std::move(report);
    };

    std::optional<net::Socket> connected;
    const net::Endpoint* chosen = &target.endpoints.front();
    if (target.endpoints.size() > 1) {
        auto first = net::connect_first(target.endpoints, deadline);
        if (!first) {
            report.add(runner::state_for(first.error(), connection), first.error().message);
            return with_connections();
        }
        chosen = &target.endpoints[first->index];
        connected = std::move(first->socket);
        report.add_detail("address " + chosen->text + ", the first to accept");
    }
    const net::Endpoint& endpoint = *chosen;
    // The adopted connection counts as its probe's.
    const auto results = prober.run(endpoint, requests_for(connection), deadline, std::move(connected));

    // STARTTLS failed on every probe: that is the finding (not offered is a downgrade).
    const bool every_dialog_failed = !prober.dialog_failures.empty() &&
        std::all_of(prober.dialog_failures.begin(), prober.dialog_failures.end(), [](const auto& f) { return f.has_value(); });
    if (every_dialog_failed) {
        report.add(prober.dialog_failures.front()->state, prober.dialog_failures.front()->message);
        return with_connections();
    }

    // Nothing reached the service at all: one clear line, as the other plugins give.
    const bool all_timed_out =
        std::all_of(results.begin(), results.end(), [](const tls::ProbeResult& r) { return r.timed_out; });
    if (none_connected(results)) {
        const auto failed = std::find_if(results.begin(), results.end(),
                                         [](const tls::ProbeResult& r) { return r.connect_error.has_value(); });
        if (failed != results.end()) report.add(runner::state_for(*failed->connect_error, connection), failed->connect_error->message);
        else report.add(connection.timeout_state, "no probe could connect to " + endpoint.text + " before the deadline");
        return with_connections();
    }
    if (all_timed_out) {
        report.add(connection.timeout_state, "no probe was answered within " +
                                                 std::to_string(static_cast<int>(connection.timeout_seconds + 0.5)) + " s");
        for (const auto& result : results)
            report.add_detail(std::string(tls::display_name(result.version)) + ": " + result.answer.detail);
        return with_connections();
    }

    // No probe got a verdict and one got bytes that are not SSL/TLS at all (an HTML page, a mail
    // banner on an implicit-TLS port, noise): no client gets TLS here, so the TLS service is down,
    // CRITICAL. Undecided answers that are SSL/TLS stay UNKNOWN. The long output keeps every
    // probe's detail.
    const bool any_verdict = std::any_of(results.begin(), results.end(), [](const tls::ProbeResult& r) {
        return r.answer.verdict != ProbeVerdict::unknown;
    });
    const auto foreign = std::find_if(results.rbegin(), results.rend(),
                                      [](const tls::ProbeResult& r) { return r.answer.non_tls_text.has_value(); });
    if (!any_verdict && foreign != results.rend()) {
        report.add(State::critical, "does not speak SSL/TLS: " + std::string(tls::display_name(foreign->version)) +
                                        " hello answered with '" + *foreign->answer.non_tls_text + "'");
    } else if (!any_verdict) {
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
        // Icinga 2 cannot parse the value U: an undecided version is left out of the perfdata.
        report.add_detail(name + ": " + verdict_text(result) + " (" + result.answer.detail + ")" +
                          (verdict == ProbeVerdict::unknown ? ", left out of the perfdata" : ""));
        if (verdict != ProbeVerdict::unknown) {
            plugin::Perfdata perf;
            perf.label = std::string(tls::perfdata_label(version));
            perf.decimals = 0;
            perf.value = verdict == ProbeVerdict::accepted ? 1 : 0;
            report.add_perfdata(std::move(perf));
        }

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
            // A probe the deadline cut short is a timeout, in the state -t gives (CRITICAL unless
            // -t SECONDS:STATE), like every other timeout; other undecided answers are UNKNOWN.
            if (any_verdict) report.add(result.timed_out ? connection.timeout_state : State::unknown, name + " unknown: " + detail);
        }
    }
    if (!allowed_accepted && !allowed_unknown) report.add(State::critical, "accepts none of the allowed versions");
    report.set_context(where + (accepted_list.empty() ? " accepts no version" : " accepts " + accepted_list), "; ");

    if (config.fallback_scsv) judge_fallback(report, prober, endpoint, results, deadline);
    if (config.require_pq) judge_post_quantum(report, results);
    return with_connections();
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

    // The connection bound of the probes applies per address: each address is its own daemon.
    auto report = runner::check_every_address(
        std::string(identity.prefix), runner::target_from(connection).display(), connection, deadline,
        [&](std::size_t, const runner::AddressTarget& target) {
            return check_address(config, connection, *protocol, target, deadline);
        });
    return plugin::finish_report(report, started, connection.verbosity);
}

}  // namespace

int main(int argc, char** argv) {
    return plugin::run_plugin(identity.prefix, [&] { return check(argc, argv); });
}
