// check_tls_cert: is the certification path clients build from what a service sends valid,
// trusted, matching the name, made of strong keys and signatures, and far enough from expiry
// (relative to its lifetime)? Also for certificate files on disk (--file).

#include <sys/stat.h>

#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "dns/resolver.hpp"
#include "plugin/expiry_threshold.hpp"
#include "plugin/options.hpp"
#include "plugin/report.hpp"
#include "plugin/run.hpp"
#include "runner/addresses.hpp"
#include "runner/certificate_judgement.hpp"
#include "runner/revocation.hpp"
#include "runner/connection.hpp"
#include "runner/dane.hpp"
#include "tls/certificate.hpp"
#include "tls/certificate_file.hpp"

namespace po = boost::program_options;
using namespace tls_checks;
using plugin::State;

namespace {

constexpr plugin::PluginIdentity identity{
    "TLS_CERT", "check_tls_cert",
    "checks the expiry, trust, name, keys and signatures of a service's certificate path",
    "[-H host [-p port] | --file PATH] [-w when] [-c when]", 443, "file"};

struct Config {
    runner::CertificatePolicy policy;
    runner::RevocationPolicy revocation;
    std::optional<std::string> file;
    std::optional<std::string> password_file;
    bool dane = false;  // --dane: verify the TLSA records of _PORT._tcp.HOST
    dns::ResolverOptions resolver;
};

po::options_description certificate_options() {
    po::options_description options("Certificate options", 80);
    // clang-format off
    options.add_options()
        ("warning,w", po::value<std::string>()->value_name("WHEN"),
            "WARNING when less than WHEN is left: DAYS, a duration (36h, 90m, 10d), a percentage "
            "of the certificate's lifetime (33%), or a range on days left (default: min(30 days, "
            "1/3 of the lifetime))")
        ("critical,c", po::value<std::string>()->value_name("WHEN"),
            "CRITICAL when less than WHEN is left, in the same forms (default: min(14 days, 1/6 "
            "of the lifetime))")
        ("leaf-only", po::bool_switch(),
            "apply -w/-c to the leaf only (expired or not yet valid path elements stay CRITICAL)")
        ("ca-file", po::value<std::string>()->value_name("FILE"), "trust the CAs in this PEM file")
        ("ca-path", po::value<std::string>()->value_name("DIR"), "trust the CAs in this hashed directory")
        ("ignore-trust", po::bool_switch(), "do not report an untrusted path")
        ("name", po::value<std::string>()->value_name("NAME"),
            "match the certificate against NAME instead of --sni or -H")
        ("ignore-name", po::bool_switch(), "do not match the certificate against a name")
        ("min-key-bits", po::value<long>()->value_name("BITS")->default_value(2048),
            "WARNING for RSA and DSA keys shorter than BITS")
        ("min-ec-key-bits", po::value<long>()->value_name("BITS")->default_value(256),
            "WARNING for EC keys shorter than BITS")
        ("file", po::value<std::string>()->value_name("PATH"),
            "judge the certificate chain in this file (PEM, DER or PKCS#12) instead of connecting")
        ("password-file", po::value<std::string>()->value_name("FILE"),
            "with --file: the PKCS#12 password is the first line of FILE")
        ("purpose", po::value<std::string>()->value_name("USE")->default_value("server"),
            "what the certificate is for: server, client, any")
        ("revocation", po::value<std::string>()->value_name("MODE")->default_value("staple"),
            "staple: judge the OCSP response the server staples (always asked for); ocsp: also ask "
            "the certificate's OCSP responder when there is no valid staple; crl: also fetch and "
            "judge its CRL; auto: staple, else OCSP, else CRL; none")
        ("revocation-depth", po::value<std::string>()->value_name("WHICH")->default_value("leaf"),
            "leaf, or all: the intermediates too")
        ("revocation-unreachable", po::value<std::string>()->value_name("STATE")->default_value("warning"),
            "state when a responder or CRL server gives no usable answer (ok, warning, critical, unknown)")
        ("cache-dir", po::value<std::string>()->value_name("DIR"),
            "keep fetched CRLs in DIR until their next update (nothing is written without it)")
        ("dane", po::bool_switch(),
            "verify the server against the DNSSEC-secure TLSA records of _PORT._tcp.HOST (RFC 6698, 7671)")
        ("dns-server", po::value<std::string>()->value_name("ADDR[@PORT]"),
            "with --dane: send DNS queries to this resolver (default: those of /etc/resolv.conf)")
        ("trust-anchor", po::value<std::string>()->value_name("FILE"),
            "with --dane: DNSSEC trust anchor, DS or DNSKEY lines (default: " TLS_CHECKS_TRUST_ANCHOR ")");
    // clang-format on
    return options;
}

struct ConfigError {
    std::string message;
};

Expected<Config, ConfigError> read_config(const po::variables_map& values, const plugin::ConnectionOptions& connection) {
    Config config;
    auto& policy = config.policy;
    auto warning = plugin::expiry_threshold_option(values, "warning", plugin::default_warning_threshold());
    if (!warning) return unexpected(ConfigError{warning.error().message});
    auto critical = plugin::expiry_threshold_option(values, "critical", plugin::default_critical_threshold());
    if (!critical) return unexpected(ConfigError{critical.error().message});
    policy.warning = std::move(*warning);
    policy.critical = std::move(*critical);
    policy.leaf_only = values["leaf-only"].as<bool>();
    if (values.count("ca-file")) policy.anchors.ca_file = values["ca-file"].as<std::string>();
    if (values.count("ca-path")) policy.anchors.ca_path = values["ca-path"].as<std::string>();
    policy.check_trust = !values["ignore-trust"].as<bool>();
    policy.min_key_bits = values["min-key-bits"].as<long>();
    policy.min_ec_key_bits = values["min-ec-key-bits"].as<long>();
    if (policy.min_key_bits < 0 || policy.min_key_bits > 65536)
        return unexpected(ConfigError{"bad --min-key-bits: want 0-65536"});
    if (policy.min_ec_key_bits < 0 || policy.min_ec_key_bits > 1024)
        return unexpected(ConfigError{"bad --min-ec-key-bits: want 0-1024"});
    if (!policy.check_trust && (policy.anchors.ca_file || policy.anchors.ca_path))
        return unexpected(ConfigError{"--ignore-trust and --ca-file/--ca-path exclude each other"});
    const auto& purpose = values["purpose"].as<std::string>();
    if (purpose == "server") policy.purpose = tls::Purpose::tls_server;
    else if (purpose == "client") policy.purpose = tls::Purpose::tls_client;
    else if (purpose == "any") policy.purpose = tls::Purpose::any;
    else return unexpected(ConfigError{"bad --purpose '" + purpose + "': want server, client or any"});

    auto& revocation = config.revocation;
    const auto& mode = values["revocation"].as<std::string>();
    if (mode == "staple") revocation.mode = runner::RevocationMode::staple;
    else if (mode == "ocsp") revocation.mode = runner::RevocationMode::ocsp;
    else if (mode == "crl") revocation.mode = runner::RevocationMode::crl;
    else if (mode == "auto") revocation.mode = runner::RevocationMode::automatic;
    else if (mode == "none") revocation.mode = runner::RevocationMode::none;
    else return unexpected(ConfigError{"bad --revocation '" + mode + "': want staple, ocsp, crl, auto or none"});
    const auto& depth = values["revocation-depth"].as<std::string>();
    if (depth != "leaf" && depth != "all")
        return unexpected(ConfigError{"bad --revocation-depth '" + depth + "': want leaf or all"});
    revocation.intermediates = depth == "all";
    const auto& unreachable = values["revocation-unreachable"].as<std::string>();
    const auto unreachable_state = plugin::parse_state(unreachable);
    if (!unreachable_state)
        return unexpected(ConfigError{"bad --revocation-unreachable '" + unreachable +
                                      "': want ok, warning, critical or unknown"});
    revocation.unreachable = *unreachable_state;
    if (values.count("cache-dir")) {
        revocation.cache_dir = values["cache-dir"].as<std::string>();
        struct stat info {};
        if (revocation.cache_dir->empty() || ::stat(revocation.cache_dir->c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
            return unexpected(ConfigError{"bad --cache-dir '" + *revocation.cache_dir + "': not a directory"});
    }

    config.dane = values["dane"].as<bool>();
    if (values.count("dns-server")) {
        auto server = dns::forwarder_address(values["dns-server"].as<std::string>());
        if (!server) return unexpected(ConfigError{"bad --dns-server: " + server.error().message});
        config.resolver.server = *server;
    }
    if (values.count("trust-anchor")) config.resolver.trust_anchor_file = values["trust-anchor"].as<std::string>();
    if (!config.dane && (values.count("dns-server") || values.count("trust-anchor")))
        return unexpected(ConfigError{"--dns-server and --trust-anchor go with --dane"});

    if (values.count("file")) config.file = values["file"].as<std::string>();
    if (values.count("password-file")) config.password_file = values["password-file"].as<std::string>();
    if (config.password_file && !config.file) return unexpected(ConfigError{"--password-file goes with --file"});
    if (config.file) {
        for (const char* network :
             {"hostname", "address", "port", "sni", "starttls", "ipv4", "ipv6", "client-cert", "client-key",
              "addresses", "max-addresses", "dane"}) {
            if (values.count(network) && !values[network].defaulted())
                return unexpected(ConfigError{std::string("--file reads a certificate file: --") + network +
                                              " does not apply (use --name for the name to match)"});
        }
    }

    // The name to match: --name, else (when connecting) --sni, else -H; with --file only --name.
    if (values.count("name")) {
        auto name = plugin::host_option(values["name"].as<std::string>(), "--name");
        if (!name) return unexpected(ConfigError{name.error().message});
        policy.reference_name = std::move(*name);
    } else if (!config.file) {
        policy.reference_name = connection.sni.value_or(connection.hostname);
    }
    if (values["ignore-name"].as<bool>()) policy.reference_name.reset();
    return config;
}

plugin::PluginOutput check_file(const Config& config, int verbosity, std::chrono::steady_clock::time_point started,
                                const net::Deadline& deadline) {
    plugin::Report report(std::string(identity.prefix));
    std::optional<std::string> password;
    if (config.password_file) {
        auto read = tls::read_password_file(*config.password_file);
        if (!read) {
            report.add(State::unknown, read.error().message);
            return plugin::finish_report(report, started, verbosity);
        }
        password = std::move(*read);
    }
    auto certificates = tls::load_certificate_file(*config.file, password);
    if (!certificates) {
        report.add(State::unknown, certificates.error().message);  // names the file itself
        return plugin::finish_report(report, started, verbosity);
    }
    report.set_context(*config.file);
    const auto now = std::time(nullptr);
    auto judged = runner::judge_certificates(report, *certificates, config.policy, runner::KeyUse::unknown, now);
    if (!judged) {
        report.add(State::unknown, judged.error());
    } else if (config.revocation.mode != runner::RevocationMode::staple) {
        // A file has no staple: revocation is judged only when the CA is to be asked.
        runner::RevocationSources sources(config.revocation);
        runner::judge_revocation(report, *judged, *certificates, {}, sources, deadline, now);
    }
    return plugin::finish_report(report, started, verbosity);
}

// One address: connect (Happy Eyeballs when there are several endpoints), handshake, judge.
plugin::Report check_address(const Config& config, const plugin::ConnectionOptions& connection,
                             std::optional<starttls::Protocol> protocol, const runner::AddressTarget& target,
                             const net::Deadline& deadline, std::optional<runner::ServedLeaf>& leaf,
                             runner::RevocationSources& revocation, const std::optional<runner::TlsaLookup>& tlsa) {
    plugin::Report report(std::string(identity.prefix));
    report.set_context(target.where);
    std::optional<tls::DaneRequest> dane;
    if (tlsa) {
        dane = runner::dane_request(*tlsa, connection.hostname, false);
        if (dane) {
            dane->ca_file = config.policy.anchors.ca_file;
            dane->ca_path = config.policy.anchors.ca_path;
        }
    }
    auto opened = runner::open_tls(connection, protocol, target.endpoints, deadline, dane);
    if (!opened) {
        report.add(opened.error().state, opened.error().message);
        return report;
    }
    tls::TlsSession& session = opened->session;
    session.close();
    if (target.endpoints.size() > 1) report.add_detail("address " + opened->endpoint.text + ", the first to accept");
    if (protocol) report.add_detail("via STARTTLS (" + std::string(starttls::info(*protocol).name) + ")");
    report.add_detail("negotiated " + session.protocol + " " + session.cipher);
    runner::report_client_certificate_request(report, session, connection);

    if (!session.peer_chain.empty())
        leaf = runner::ServedLeaf{target.where, tls::describe_certificate(session.peer_chain.front().get())};
    const auto key_use =
        session.server_signed_key_exchange ? runner::KeyUse::signed_key_exchange : runner::KeyUse::rsa_key_exchange;
    const auto now = std::time(nullptr);
    auto judged = runner::judge_certificates(report, session.peer_chain, config.policy, key_use, now);
    if (!judged) {
        report.add(State::unknown, judged.error());
        return report;
    }
    runner::judge_revocation(report, *judged, session.peer_chain, session.stapled_ocsp, revocation, deadline, now);
    if (tlsa) {
        const bool authenticated =
            runner::judge_dane(report, *tlsa, session.dane, "DANE clients will refuse " + connection.hostname);
        if (!authenticated && (tlsa->status == runner::TlsaLookup::Status::insecure ||
                               tlsa->status == runner::TlsaLookup::Status::none))
            report.add(State::warning, "--dane: no DNSSEC-secure TLSA records at " + tlsa->owner);
    }
    return report;
}

plugin::PluginOutput check(int argc, const char* const* argv) {
    const auto started = std::chrono::steady_clock::now();
    auto options = certificate_options();
    options.add(plugin::client_certificate_options());
    auto parsed = plugin::parse_command_line(identity, options, argc, argv);
    if (auto* early = std::get_if<plugin::EarlyExit>(&parsed)) return early->output_of();
    const auto& command_line = std::get<plugin::CommandLine>(parsed);
    const auto connection = runner::with_protocol_port(command_line.connection);
    const auto config_or_error = read_config(command_line.values, connection);
    if (!config_or_error) return plugin::usage_error(identity, config_or_error.error().message).output_of();
    const Config& config = *config_or_error;
    if (config.file) return check_file(config, connection.verbosity, started, runner::deadline_from(connection));

    const auto protocol = runner::starttls_protocol(connection);
    if (!protocol) return plugin::usage_error(identity, protocol.error()).output_of();
    const auto deadline = runner::deadline_from(connection);
    auto connection_with_staple = connection;
    connection_with_staple.request_ocsp_staple = config.revocation.mode != runner::RevocationMode::none;
    // One responder or CRL fetch for all the addresses that serve the same certificate.
    runner::RevocationSources revocation(config.revocation);

    // --dane: the TLSA records, looked up once for every address.
    std::optional<runner::TlsaLookup> tlsa;
    if (config.dane) {
        const std::string owner = runner::tlsa_owner(connection.port, connection.hostname);
        auto resolver = dns::Resolver::create(config.resolver);
        if (!resolver) {
            plugin::Report failed(std::string(identity.prefix));
            failed.add(State::unknown, resolver.error());
            return plugin::finish_report(failed, started, connection.verbosity);
        }
        const std::vector<dns::Query> queries{{owner, dns::RrType::tlsa}};
        auto answers = (*resolver)->resolve(queries, deadline);
        tlsa = runner::tlsa_lookup_from(owner, answers.front());
        if (tlsa->timed_out) {
            plugin::Report failed(std::string(identity.prefix));
            failed.add(connection.timeout_state, "DANE: " + tlsa->why);
            return plugin::finish_report(failed, started, connection.verbosity);
        }
    }

    // What each address served, by its index, for the comparison across them.
    std::vector<std::optional<runner::ServedLeaf>> leaves(connection.max_addresses);
    auto report = runner::check_every_address(
        std::string(identity.prefix), runner::target_from(connection).display(), connection, deadline,
        [&](std::size_t i, const runner::AddressTarget& target) {
            return check_address(config, connection_with_staple, *protocol, target, deadline, leaves[i], revocation, tlsa);
        },
        [&](const runner::AddressPlan& plan) {
            std::vector<runner::ServedLeaf> served;
            for (auto& leaf : leaves) {
                if (leaf) served.push_back(std::move(*leaf));
            }
            std::vector<plugin::Finding> across;
            if (auto disagreement = runner::judge_agreement(plan.name, served)) across.push_back(std::move(*disagreement));
            return across;
        });
    return plugin::finish_report(report, started, connection.verbosity);
}

}  // namespace

int main(int argc, char** argv) {
    return plugin::run_plugin(identity.prefix, [&] { return check(argc, argv); });
}
