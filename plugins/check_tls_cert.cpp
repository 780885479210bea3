// check_tls_cert: is the certificate chain a service presents valid, trusted, matching the
// name, made of strong keys and signatures, and far enough from expiry?

#include <cstdint>
#include <ctime>
#include <string>
#include <vector>

#include "plugin/number.hpp"
#include "plugin/options.hpp"
#include "plugin/range.hpp"
#include "plugin/report.hpp"
#include "plugin/run.hpp"
#include "runner/connection.hpp"
#include "tls/certificate.hpp"
#include "tls/name_match.hpp"
#include "tls/verify.hpp"

namespace po = boost::program_options;
using namespace tls_checks;
using plugin::State;

namespace {

constexpr plugin::PluginIdentity identity{
    "TLS_CERT", "check_tls_cert",
    "checks the expiry, trust, name, keys and signatures of a service's certificate chain",
    "-H host [-I addr] [-p port] [-w days] [-c days] [-t sec]", 443};

struct Config {
    plugin::Range warning;
    plugin::Range critical;
    bool leaf_only = false;
    tls::TrustAnchors anchors;
    bool ignore_trust = false;
    std::string reference_name;
    bool ignore_name = false;
    long min_key_bits = 2048;
    long min_ec_key_bits = 256;
};

po::options_description certificate_options() {
    po::options_description options("Certificate options", 80);
    // clang-format off
    options.add_options()
        ("warning,w", po::value<std::string>()->value_name("DAYS")->default_value("30"),
            "WARNING when fewer than DAYS days are left (or a range on days left)")
        ("critical,c", po::value<std::string>()->value_name("DAYS")->default_value("14"),
            "CRITICAL when fewer than DAYS days are left (or a range on days left)")
        ("leaf-only", po::bool_switch(), "check the expiry, key and signature of the leaf only")
        ("ca-file", po::value<std::string>()->value_name("FILE"), "trust the CAs in this PEM file")
        ("ca-path", po::value<std::string>()->value_name("DIR"), "trust the CAs in this hashed directory")
        ("ignore-trust", po::bool_switch(), "do not verify the chain against trusted CAs")
        ("name", po::value<std::string>()->value_name("NAME"),
            "match the certificate against NAME instead of --sni or -H")
        ("ignore-name", po::bool_switch(), "do not match the certificate against a name")
        ("min-key-bits", po::value<long>()->value_name("BITS")->default_value(2048),
            "WARNING for RSA and DSA keys shorter than BITS")
        ("min-ec-key-bits", po::value<long>()->value_name("BITS")->default_value(256),
            "WARNING for EC keys shorter than BITS");
    // clang-format on
    return options;
}

struct ConfigError {
    std::string message;
};

Expected<Config, ConfigError> read_config(const po::variables_map& values, const plugin::ConnectionOptions& connection) {
    Config config;
    const auto threshold = [&](const char* name, plugin::Range& into) -> std::optional<ConfigError> {
        auto parsed = plugin::parse_days_threshold(values[name].as<std::string>());
        if (auto* error = std::get_if<plugin::RangeError>(&parsed))
            return ConfigError{std::string("bad --") + name + ": " + error->message};
        into = std::get<plugin::Range>(parsed);
        return std::nullopt;
    };
    if (auto error = threshold("warning", config.warning)) return unexpected(*error);
    if (auto error = threshold("critical", config.critical)) return unexpected(*error);
    config.leaf_only = values["leaf-only"].as<bool>();
    if (values.count("ca-file")) config.anchors.ca_file = values["ca-file"].as<std::string>();
    if (values.count("ca-path")) config.anchors.ca_path = values["ca-path"].as<std::string>();
    config.ignore_trust = values["ignore-trust"].as<bool>();
    config.ignore_name = values["ignore-name"].as<bool>();
    config.reference_name = values.count("name") ? values["name"].as<std::string>()
                                                 : connection.sni.value_or(connection.hostname);
    config.min_key_bits = values["min-key-bits"].as<long>();
    config.min_ec_key_bits = values["min-ec-key-bits"].as<long>();
    if (config.min_key_bits < 0 || config.min_key_bits > 65536)
        return unexpected(ConfigError{"bad --min-key-bits: want 0-65536"});
    if (config.min_ec_key_bits < 0 || config.min_ec_key_bits > 1024)
        return unexpected(ConfigError{"bad --min-ec-key-bits: want 0-1024"});
    if (config.ignore_trust && (config.anchors.ca_file || config.anchors.ca_path))
        return unexpected(ConfigError{"--ignore-trust and --ca-file/--ca-path exclude each other"});
    return config;
}

std::string utc_date(std::int64_t epoch) {
    const auto seconds = static_cast<std::time_t>(epoch);
    std::tm broken_down{};
    if (gmtime_r(&seconds, &broken_down) == nullptr) return "?";
    char text[32];
    if (std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &broken_down) == 0) return "?";
    return text;
}

double days_left(const tls::CertificateFacts& facts, std::int64_t now) {
    return static_cast<double>(facts.not_after - now) / 86400.0;
}

std::string days_text(double days) { return plugin::format_decimal(days, 1) + (days == 1.0 ? " day" : " days"); }

// "chain[1] CN=Intermediate CA"; the leaf is simply "CN=leaf".
std::string element_name(std::size_t index, const tls::CertificateFacts& facts) {
    if (index == 0) return tls::short_name(facts);
    return "chain[" + std::to_string(index) + "] " + tls::short_name(facts);
}

void judge_validity(plugin::Report& report, const Config& config, std::size_t index, const tls::CertificateFacts& facts,
                    std::int64_t now) {
    const std::string name = element_name(index, facts);
    const double left = days_left(facts, now);
    if (now < facts.not_before) {
        report.add(State::critical, name + " is not yet valid (valid from " + utc_date(facts.not_before) + ")");
    } else if (left < 0) {
        report.add(State::critical, name + " expired " + days_text(-left) + " ago (" + utc_date(facts.not_after) + ")");
    } else {
        const State state = config.critical.alerts(left)  ? State::critical
                            : config.warning.alerts(left) ? State::warning
                                                          : State::ok;
        report.add(state, name + " expires in " + days_text(left) + " (" + utc_date(facts.not_after) + ")");
    }

    plugin::Perfdata perf;
    perf.label = index == 0 ? "days_left" : "days_left_chain" + std::to_string(index);
    perf.value = left;
    perf.decimals = 2;
    perf.warning = config.warning;
    perf.critical = config.critical;
    report.add_perfdata(std::move(perf));
}

void judge_strength(plugin::Report& report, const Config& config, std::size_t index, const tls::CertificateFacts& facts) {
    const std::string name = element_name(index, facts);
    // A self-signed root's own signature is never checked by anyone; its key still matters.
    if (facts.signature.weak_digest && !facts.self_signed)
        report.add(State::critical, name + " has a weak signature (" + facts.signature.algorithm + ")");
    const auto& key = facts.key;
    if ((key.type == "RSA" || key.type == "DSA") && key.bits < config.min_key_bits) {
        report.add(State::warning, name + " has a weak " + key.type + " key (" + std::to_string(key.bits) + " bits < " +
                                       std::to_string(config.min_key_bits) + ")");
    } else if (key.type == "EC" && key.bits < config.min_ec_key_bits) {
        report.add(State::warning, name + " has a weak EC key (" + std::to_string(key.bits) + " bits < " +
                                       std::to_string(config.min_ec_key_bits) + ")");
    }
}

std::string describe_element(std::size_t index, const tls::CertificateFacts& facts, std::int64_t now) {
    std::string key = facts.key.type + " " + std::to_string(facts.key.bits) + " bits";
    if (!facts.key.curve.empty()) key += " (" + facts.key.curve + ")";
    return "chain[" + std::to_string(index) + "] subject: " + facts.subject + "; issuer: " + facts.issuer +
           "; not after: " + utc_date(facts.not_after) + " (" + plugin::format_decimal(days_left(facts, now), 2) +
           " days); key: " + key + "; signature: " + facts.signature.algorithm + "; serial: " + facts.serial +
           "; sha256: " + facts.sha256_fingerprint;
}

plugin::PluginOutput check(int argc, const char* const* argv) {
    const auto started = std::chrono::steady_clock::now();
    auto parsed = plugin::parse_command_line(identity, certificate_options(), argc, argv);
    if (auto* early = std::get_if<plugin::EarlyExit>(&parsed)) return early->output_of();
    const auto& command_line = std::get<plugin::CommandLine>(parsed);
    const auto connection = runner::with_protocol_port(command_line.connection);
    const auto config_or_error = read_config(command_line.values, connection);
    if (!config_or_error) return plugin::usage_error(identity, config_or_error.error().message).output_of();
    const auto protocol = runner::starttls_protocol(connection);
    if (!protocol) return plugin::usage_error(identity, protocol.error()).output_of();
    const Config& config = *config_or_error;
    const auto deadline = runner::deadline_from(connection);

    plugin::Report report(std::string(identity.prefix));
    report.set_context(runner::target_from(connection).display());
    const auto finish = [&](plugin::Report& done) { return plugin::finish_report(done, started, connection.verbosity); };

    auto opened = runner::open_tls(connection, *protocol, deadline);
    if (!opened) {
        report.add(opened.error().state, opened.error().message);
        return finish(report);
    }
    tls::TlsSession* session = &opened->session;
    session->close();
    if (*protocol) report.add_detail("via STARTTLS (" + std::string(starttls::info(**protocol).name) + ")");
    report.add_detail("negotiated " + session->protocol + " " + session->cipher);

    const std::int64_t now = std::time(nullptr);
    std::vector<tls::CertificateFacts> chain;
    for (const auto& certificate : session->peer_chain) chain.push_back(tls::describe_certificate(certificate.get()));
    const std::size_t judged = config.leaf_only ? 1 : chain.size();

    for (std::size_t i = 0; i < judged; ++i) judge_validity(report, config, i, chain[i], now);
    for (std::size_t i = 0; i < judged; ++i) judge_strength(report, config, i, chain[i]);

    if (!config.ignore_name) {
        const auto match = tls::match_certificate_name(chain.front().names, config.reference_name);
        if (match.matched()) {
            report.add_detail("name " + config.reference_name + " matches " + match.entry);
        } else {
            report.add(State::critical, "name mismatch: " + config.reference_name + " is not in " +
                                            tls::describe_names(chain.front().names));
        }
    }

    if (!config.ignore_trust) {
        auto verified = tls::verify_chain(session->peer_chain, config.anchors);
        if (!verified) {
            report.add(State::unknown, verified.error());
        } else if (verified->trusted()) {
            report.add_detail("chain is trusted");
        } else {
            for (const auto& problem : verified->problems) {
                report.add(State::critical, "untrusted: " + problem.reason + " (depth " + std::to_string(problem.depth) +
                                                (problem.subject.empty() ? "" : ", " + problem.subject) + ")");
            }
        }
    }

    // OK summary: the leaf, and the element that expires first when that is not the leaf.
    std::size_t soonest = 0;
    for (std::size_t i = 1; i < judged; ++i) {
        if (chain[i].not_after < chain[soonest].not_after) soonest = i;
    }
    std::string ok = tls::short_name(chain.front()) + " expires in " + days_text(days_left(chain.front(), now)) + " (" +
                     utc_date(chain.front().not_after) + ")";
    if (soonest != 0) {
        ok += "; " + element_name(soonest, chain[soonest]) + " expires first, in " +
              days_text(days_left(chain[soonest], now));
    }
    report.set_ok_summary(ok);
    for (std::size_t i = 0; i < chain.size(); ++i) report.add_detail(describe_element(i, chain[i], now));
    return finish(report);
}

}  // namespace

int main(int argc, char** argv) {
    return plugin::run_plugin(identity.prefix, [&] { return check(argc, argv); });
}
