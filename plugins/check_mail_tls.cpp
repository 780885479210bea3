// check_mail_tls: a mail domain's whole defence against the STARTTLS downgrade. Mail for a
// domain goes to its MX hosts; a man in the middle who removes STARTTLS makes opportunistic
// senders go on in plaintext, and only DANE (RFC 7672) or MTA-STS (RFC 8461) stop that. A broken
// TLSA record or a policy that misses an MX host makes strict senders defer all mail. So every
// MX host, every address: STARTTLS, the certificate, DANE; and the domain's MTA-STS and TLS-RPT.

#include <algorithm>
#include <chrono>
#include <ctime>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "base/parallel.hpp"
#include "dns/resolver.hpp"
#include "mail/policy.hpp"
#include "net/resolve.hpp"
#include "plugin/duration_text.hpp"
#include "plugin/expiry_threshold.hpp"
#include "plugin/options.hpp"
#include "plugin/perfdata.hpp"
#include "plugin/report.hpp"
#include "plugin/run.hpp"
#include "runner/addresses.hpp"
#include "runner/certificate_judgement.hpp"
#include "runner/connection.hpp"
#include "runner/dane.hpp"
#include "starttls/protocol.hpp"
#include "tls/client_hello.hpp"
#include "tls/handshake.hpp"
#include "tls/http_fetch.hpp"
#include "tls/probe.hpp"
#include "tls/protocol_version.hpp"
#include "tls/verify.hpp"

namespace po = boost::program_options;
using namespace tls_checks;
using plugin::State;

namespace {

constexpr plugin::PluginIdentity identity{
    "MAIL_TLS",
    "check_mail_tls",
    "checks a mail domain's defence against the STARTTLS downgrade: every MX host and address, STARTTLS, "
    "certificates, DANE, MTA-STS and TLS-RPT",
    "-D domain [-p port] [--require LIST] [--dns-server ADDR[@PORT]]",
    25,
    "domain",
    "-D/--domain is required: the mail domain to check",
    "hostname address sni starttls addresses xmpp-domain"};

// RFC 8461 3.3: senders bound the policy's size; 64 KiB is what the policy parser takes.
constexpr std::size_t max_policy_bytes = 64 * 1024;

po::options_description mail_options() {
    po::options_description options("Mail domain options", 80);
    // clang-format off
    options.add_options()
        ("domain,D", po::value<std::string>()->value_name("DOMAIN"), "the mail domain (the part after @)")
        ("max-mx", po::value<long>()->value_name("N")->default_value(10), "check at most N MX hosts, in preference order (1-50)")
        ("dns-server", po::value<std::string>()->value_name("ADDR[@PORT]"),
            "send DNS queries to this resolver (default: those of /etc/resolv.conf); answers are validated here")
        ("trust-anchor", po::value<std::string>()->value_name("FILE"),
            "DNSSEC trust anchor: DS or DNSKEY lines (default: " TLS_CHECKS_TRUST_ANCHOR ")")
        ("require", po::value<std::string>()->value_name("LIST")->default_value("starttls"),
            "comma-separated: starttls (always), dane, mta-sts, dane-or-mta-sts, tlsrpt")
        ("warning,w", po::value<std::string>()->value_name("WHEN"),
            "certificate expiry WARNING threshold, as check_tls_cert -w")
        ("critical,c", po::value<std::string>()->value_name("WHEN"),
            "certificate expiry CRITICAL threshold, as check_tls_cert -c")
        ("ca-file", po::value<std::string>()->value_name("FILE"), "trust the CAs in this PEM file (WebPKI checks, MTA-STS)")
        ("ca-path", po::value<std::string>()->value_name("DIR"), "trust the CAs in this hashed directory")
        ("versions", po::bool_switch(),
            "also probe each address for SSLv2, SSLv3 (CRITICAL when accepted), TLS 1.0 and 1.1 (WARNING)");
    // clang-format on
    return options;
}

struct Requirements {
    bool dane = false;
    bool mta_sts = false;
    bool dane_or_mta_sts = false;
    bool tlsrpt = false;
};

struct Config {
    std::string domain;
    std::size_t max_mx = 10;
    dns::ResolverOptions resolver;
    Requirements require;
    runner::CertificatePolicy certificates;
    bool versions = false;
};

struct ConfigError {
    std::string message;
};

Expected<Config, ConfigError> read_config(const po::variables_map& values) {
    Config config;
    // The shared options identity.refused_options names: the MX hosts come from DNS.
    std::string_view refused = identity.refused_options;
    while (!refused.empty()) {
        const auto space = std::min(refused.find(' '), refused.size());
        const std::string name(refused.substr(0, space));
        refused.remove_prefix(std::min(space + 1, refused.size()));
        if (values.count(name) && !values[name].defaulted())
            return unexpected(ConfigError{"--" + name + " does not apply: -D names the mail domain, whose MX hosts are checked"});
    }
    auto domain = plugin::host_option(values["domain"].as<std::string>(), "-D/--domain");
    if (!domain) return unexpected(ConfigError{domain.error().message});
    if (net::is_ip_literal(*domain)) return unexpected(ConfigError{"-D/--domain wants a domain name, not an address"});
    config.domain = std::move(*domain);
    const long max_mx = values["max-mx"].as<long>();
    if (max_mx < 1 || max_mx > 50) return unexpected(ConfigError{"bad --max-mx: want 1-50"});
    config.max_mx = static_cast<std::size_t>(max_mx);
    if (values.count("dns-server")) {
        auto server = dns::forwarder_address(values["dns-server"].as<std::string>());
        if (!server) return unexpected(ConfigError{"bad --dns-server: " + server.error().message});
        config.resolver.server = *server;
    }
    if (values.count("trust-anchor")) config.resolver.trust_anchor_file = values["trust-anchor"].as<std::string>();

    const std::string list = values["require"].as<std::string>();
    std::size_t at = 0;
    while (at <= list.size()) {
        const auto comma = std::min(list.find(',', at), list.size());
        const std::string item = list.substr(at, comma - at);
        if (item == "starttls") {
        } else if (item == "dane") {
            config.require.dane = true;
        } else if (item == "mta-sts") {
            config.require.mta_sts = true;
        } else if (item == "dane-or-mta-sts") {
            config.require.dane_or_mta_sts = true;
        } else if (item == "tlsrpt") {
            config.require.tlsrpt = true;
        } else {
            return unexpected(ConfigError{"bad --require item '" + item +
                                          "': want starttls, dane, mta-sts, dane-or-mta-sts or tlsrpt"});
        }
        at = comma + 1;
    }

    auto& policy = config.certificates;
    auto warning = plugin::expiry_threshold_option(values, "warning", policy.warning);
    if (!warning) return unexpected(ConfigError{warning.error().message});
    auto critical = plugin::expiry_threshold_option(values, "critical", policy.critical);
    if (!critical) return unexpected(ConfigError{critical.error().message});
    policy.warning = std::move(*warning);
    policy.critical = std::move(*critical);
    if (values.count("ca-file")) policy.anchors.ca_file = values["ca-file"].as<std::string>();
    if (values.count("ca-path")) policy.anchors.ca_path = values["ca-path"].as<std::string>();
    config.versions = values["versions"].as<bool>();
    return config;
}

// One MX host: its addresses and TLSA records as DNSSEC proved them.
struct MxHost {
    std::string name;
    std::uint16_t preference = 0;
    std::vector<std::string> addresses;
    bool addresses_secure = true;
    runner::TlsaLookup tlsa;
    std::optional<std::string> policy_pattern;  // the MTA-STS mx pattern that covers it
};

// What one address showed, beyond its report.
struct AddressFacts {
    std::size_t host = 0;  // index into the MX hosts
    bool starttls = false;
    bool dane_authenticated = false;
    bool dane_failed = false;
    std::optional<std::string> webpki_problem;  // why the certificate is not valid for the host
};

// A lookup's failure as a finding.
State lookup_state(const dns::LookupError& error, const plugin::ConnectionOptions& connection) {
    return error.problem == dns::LookupProblem::timed_out ? connection.timeout_state : State::critical;
}

// An address from DNS as an endpoint to connect to (a literal: no lookup).
std::optional<net::Endpoint> endpoint_at(const std::string& address, std::uint16_t port, const net::Deadline& deadline) {
    auto endpoints = net::resolve(address, port, net::AddressFamily::any, deadline);
    if (!endpoints || endpoints->empty()) return std::nullopt;
    return std::move(endpoints->front());
}

// A TLSA lookup that makes DANE senders defer whatever the server presents.
bool dane_lookup_failed(const runner::TlsaLookup& lookup) {
    return lookup.status == runner::TlsaLookup::Status::bogus || lookup.status == runner::TlsaLookup::Status::failed;
}

// --versions: the deprecated versions, each probed with a hand-built hello after the SMTP
// dialog (the local OpenSSL cannot speak SSLv2 or SSLv3). At most two connections at a time:
// MTAs limit connections per client address.
void judge_old_versions(plugin::Report& report, const plugin::ConnectionOptions& connection, const MxHost& host,
                        const net::Endpoint& endpoint, const net::Deadline& deadline) {
    std::vector<tls::ProbeRequest> requests;
    for (const auto version : {tls::ProtocolVersion::sslv2, tls::ProtocolVersion::sslv3, tls::ProtocolVersion::tls1_0,
                               tls::ProtocolVersion::tls1_1}) {
        auto hello = tls::random_hello_options();
        if (version != tls::ProtocolVersion::sslv2 && version != tls::ProtocolVersion::sslv3) hello.server_name = host.name;
        requests.push_back({version, tls::build_client_hello(version, hello)});
    }
    const auto results = tls::run_probes_with_preamble(
        endpoint, requests,
        [&](std::size_t, net::Socket& socket, const net::Deadline& until) {
            return runner::run_dialog(starttls::Protocol::smtp, socket, connection, until).has_value();
        },
        deadline, 2);
    std::string refused;
    for (const auto& result : results) {
        const std::string name(tls::display_name(result.version));
        if (result.answer.verdict == tls::ProbeVerdict::accepted) {
            const bool broken = result.version == tls::ProtocolVersion::sslv2 || result.version == tls::ProtocolVersion::sslv3;
            report.add(broken ? State::critical : State::warning,
                       "accepts " + name + (broken ? " (RFC 6176, RFC 7568)" : " (deprecated by RFC 8996)"));
        } else if (result.answer.verdict == tls::ProbeVerdict::refused) {
            refused += (refused.empty() ? "" : ", ") + name;
        } else {
            report.add_detail(name + ": undecided (" + result.answer.detail + ")");
        }
    }
    if (!refused.empty()) report.add_detail("refuses " + refused);
}

plugin::Report check_address(const Config& config, const plugin::ConnectionOptions& connection, const MxHost& host,
                             const net::Endpoint& endpoint, const net::Deadline& deadline, AddressFacts& facts) {
    plugin::Report report(std::string(identity.prefix));
    report.set_context(endpoint.text);
    auto options = connection;
    options.hostname = host.name;  // SNI: the MX host name (RFC 7672 8.1)
    options.request_ocsp_staple = false;
    const auto dane = runner::dane_request(host.tlsa, host.name, true);
    const std::string consequence = "DANE senders will defer mail to " + host.name;
    auto opened = runner::open_tls(options, starttls::Protocol::smtp, std::span(&endpoint, 1), deadline, dane);
    if (!opened) {
        const auto& failure = opened.error();
        if (failure.dialog_failure == starttls::DialogFailure::not_offered) {
            report.add(State::critical, failure.detail + ": senders deliver in plaintext");
            std::string offered;
            for (const auto& capability : failure.capabilities) offered += (offered.empty() ? "" : ", ") + capability;
            report.add_detail("capabilities: " + (offered.empty() ? std::string("none") : offered));
        } else {
            report.add(failure.state, failure.detail);
        }
        if (dane) report.add(State::critical, consequence + ": no TLS session to verify");
        if (dane_lookup_failed(host.tlsa)) (void)runner::judge_dane(report, host.tlsa, std::nullopt, consequence);
        facts.dane_failed = dane.has_value() || dane_lookup_failed(host.tlsa);
        return report;
    }
    facts.starttls = true;
    auto& session = opened->session;
    session.close();
    report.set_ok_summary("STARTTLS, " + session.protocol);
    report.add_detail("STARTTLS offered, " + session.protocol + " " + session.cipher);
    if (!opened->dialog->greeting.empty()) report.add_detail("greeting: " + opened->dialog->greeting);

    facts.dane_authenticated = runner::judge_dane(report, host.tlsa, session.dane, consequence);
    facts.dane_failed = (dane.has_value() && !facts.dane_authenticated) || dane_lookup_failed(host.tlsa);

    // The certificate as check_tls_cert judges it, against the MX host name. DANE senders do not
    // look at it when DANE authenticates the server: then it is only described.
    auto policy = config.certificates;
    policy.reference_name = host.name;
    plugin::Report judged(std::string(identity.prefix));
    const auto now = std::time(nullptr);
    const auto key_use =
        session.server_signed_key_exchange ? runner::KeyUse::signed_key_exchange : runner::KeyUse::rsa_key_exchange;
    auto path = runner::judge_certificates(judged, session.peer_chain, policy, key_use, now);
    if (!path) {
        report.add(State::unknown, path.error());
        return report;
    }
    facts.webpki_problem = tls::webpki_problem(*path, session.peer_chain.front().get(), host.name, now);
    for (const auto& finding : judged.findings()) {
        if (facts.dane_authenticated && finding.state != State::ok) {
            report.add_detail("certificate (not used by DANE senders): " + finding.text);
        } else {
            report.add(finding.state, finding.text);
        }
    }
    for (const auto& detail : judged.details()) report.add_detail(detail);
    if (config.versions) judge_old_versions(report, options, host, endpoint, deadline);
    return report;
}

// The MTA-STS policy of the domain, fetched as RFC 8461 3.3 says.
struct PolicyFetch {
    std::optional<mail::MtaStsPolicy> policy;
    std::string problem;  // why there is none
};

PolicyFetch fetch_policy(const Config& config, const std::vector<net::Endpoint>& endpoints, const net::Deadline& deadline) {
    PolicyFetch fetched;
    const std::string host = "mta-sts." + config.domain;
    if (endpoints.empty()) {
        fetched.problem = host + " has no address";
        return fetched;
    }
    tls::HttpRequest request;
    request.url = "https://" + host + "/.well-known/mta-sts.txt";
    request.max_response_bytes = max_policy_bytes;
    request.https_anchors = config.certificates.anchors;
    request.max_redirects = 0;
    request.accept_type = "text/plain";
    request.endpoints = endpoints;
    auto body = tls::http_fetch(request, deadline);
    if (!body) {
        fetched.problem = request.url + ": " + body.error().message;
        return fetched;
    }
    const std::string text(body->body.begin(), body->body.end());
    auto policy = mail::parse_mta_sts_policy(text);
    if (!policy) {
        fetched.problem = request.url + ": " + policy.error().message;
        return fetched;
    }
    fetched.policy = std::move(*policy);
    return fetched;
}

// The TXT records of an answer, as text.
std::vector<std::string> txt_records(const dns::Answer& answer) {
    std::vector<std::string> texts;
    for (const auto& rdata : answer.records) {
        if (auto text = dns::parse_txt(rdata)) texts.push_back(std::move(*text));
    }
    return texts;
}

plugin::PluginOutput check(int argc, const char* const* argv) {
    const auto started = std::chrono::steady_clock::now();
    auto parsed = plugin::parse_command_line(identity, mail_options(), argc, argv);
    if (auto* early = std::get_if<plugin::EarlyExit>(&parsed)) return early->output_of();
    const auto& command_line = std::get<plugin::CommandLine>(parsed);
    auto config_or_error = read_config(command_line.values);
    if (!config_or_error) return plugin::usage_error(identity, config_or_error.error().message).output_of();
    const Config& config = *config_or_error;
    auto connection = command_line.connection;
    if (!connection.port_given) connection.port = 25;
    const auto deadline = runner::deadline_from(connection);
    const std::string& domain = config.domain;

    plugin::Report report(std::string(identity.prefix));
    report.set_context(domain + ":");
    const auto finish = [&](plugin::Report& done) { return plugin::finish_report(done, started, connection.verbosity); };

    // While DNS answers, another thread makes the TLS contexts the SMTP handshakes will share
    // (with and without DANE: which one the hosts need is known only then).
    std::optional<std::thread> preparing;
    try {
        preparing.emplace([] {
            tls::HandshakeOptions options;
            options.request_ocsp_staple = false;
            tls::prepare_handshakes(options);
            options.dane = tls::DaneRequest{};
            options.dane->smtp = true;
            tls::prepare_handshakes(options);
        });
    } catch (const std::system_error&) {
        // At the process limit: the first handshake makes the context instead.
    }
    struct Join {
        std::optional<std::thread>& thread;
        ~Join() {
            if (thread && thread->joinable()) thread->join();
        }
    } join{preparing};

    auto resolver = dns::Resolver::create(config.resolver);
    if (!resolver) {
        report.add(State::unknown, resolver.error());
        return finish(report);
    }
    dns::Resolver& dns = **resolver;

    // 1. The MX hosts, the MTA-STS and TLS-RPT records, at once.
    const std::string sts_name = "_mta-sts." + domain;
    const std::string rpt_name = "_smtp._tls." + domain;
    const std::vector<dns::Query> first{
        {domain, dns::RrType::mx}, {sts_name, dns::RrType::txt}, {rpt_name, dns::RrType::txt}};
    auto answers = dns.resolve(first, deadline);
    const auto& mx_answer = answers[0];
    if (!mx_answer) {
        report.add(lookup_state(mx_answer.error(), connection), "MX lookup failed: " + mx_answer.error().message);
        return finish(report);
    }
    if (mx_answer->security == dns::Security::bogus) {
        report.add(State::critical, "MX of " + domain + " fails DNSSEC validation (" + mx_answer->why_bogus +
                                        "): validating senders cannot deliver");
        return finish(report);
    }
    if (mx_answer->nxdomain()) {
        report.add(State::critical, domain + " does not exist (NXDOMAIN)");
        return finish(report);
    }
    std::vector<MxHost> hosts;
    for (const auto& rdata : mx_answer->records) {
        auto mx = dns::parse_mx(rdata);
        if (!mx) {
            report.add(State::warning, "malformed MX record of " + domain);
            continue;
        }
        MxHost host;
        host.name = mx->host;
        host.preference = mx->preference;
        hosts.push_back(std::move(host));
    }
    if (hosts.size() == 1 && hosts.front().name.empty()) {
        report.set_ok_summary("accepts no mail (null MX, RFC 7505)");
        report.add_perfdata(plugin::count_perfdata("mx", 0));
        return finish(report);
    }
    std::stable_sort(hosts.begin(), hosts.end(),
                     [](const MxHost& a, const MxHost& b) { return a.preference < b.preference; });
    {
        std::set<std::string> seen;
        std::vector<MxHost> unique;
        for (auto& host : hosts) {
            if (host.name.empty()) {
                report.add(State::warning, "a null MX (\".\") among other MX records (RFC 7505 3: it must be alone)");
                continue;
            }
            if (seen.insert(host.name).second) unique.push_back(std::move(host));
        }
        hosts = std::move(unique);
    }
    const bool implicit_mx = hosts.empty();
    if (implicit_mx) {
        // RFC 5321 5.1: no MX, the domain's own address records.
        hosts.push_back(MxHost{domain, 0, {}, true, {}, {}});
        report.add_detail("no MX records: mail goes to " + domain + " itself (RFC 5321 5.1)");
    }
    std::vector<std::string> left_out;
    if (hosts.size() > config.max_mx) {
        for (std::size_t i = config.max_mx; i < hosts.size(); ++i) left_out.push_back(hosts[i].name);
        hosts.resize(config.max_mx);
    }
    if (mx_answer->security == dns::Security::secure) report.add_detail("MX of " + domain + ": DNSSEC-secure");
    else report.add_detail("MX of " + domain + ": not DNSSEC-signed");

    // The MTA-STS TXT record decides whether there is a policy to fetch.
    std::optional<mail::MtaStsRecord> sts_record;
    std::string sts_problem;
    if (!answers[1]) {
        sts_problem = "MTA-STS TXT lookup failed: " + answers[1].error().message;
    } else if (answers[1]->security == dns::Security::bogus) {
        sts_problem = "MTA-STS TXT record fails DNSSEC validation (" + answers[1]->why_bogus + ")";
    } else {
        const auto texts = txt_records(*answers[1]);
        if (!texts.empty()) {
            auto index = mail::select_versioned_record(texts, "v=STSv1");
            // Records that are not MTA-STS records are ignored (RFC 8461 3.1); two of them are an error.
            const bool any = std::any_of(texts.begin(), texts.end(),
                                         [](const std::string& text) { return text.rfind("v=STS", 0) == 0; });
            if (!index) {
                if (any) sts_problem = "MTA-STS TXT record " + sts_name + ": " + index.error().message;
            } else {
                auto record = mail::parse_mta_sts_record(texts[*index]);
                if (record) sts_record = std::move(*record);
                else sts_problem = "MTA-STS TXT record " + sts_name + ": " + record.error().message;
            }
        }
    }

    // 2. Every MX host's addresses and TLSA records, and the MTA-STS policy host's addresses.
    std::vector<dns::Query> second;
    const bool want_v4 = connection.ip_version != plugin::IpVersion::v6;
    const bool want_v6 = connection.ip_version != plugin::IpVersion::v4;
    for (const auto& host : hosts) {
        second.push_back({host.name, dns::RrType::a});
        second.push_back({host.name, dns::RrType::aaaa});
        second.push_back({runner::tlsa_owner(connection.port, host.name), dns::RrType::tlsa});
    }
    const std::string policy_host = "mta-sts." + domain;
    if (sts_record) {
        second.push_back({policy_host, dns::RrType::a});
        second.push_back({policy_host, dns::RrType::aaaa});
    }
    auto host_answers = dns.resolve(second, deadline);

    std::vector<plugin::Finding> across;  // findings about the domain and its hosts, not one address
    for (std::size_t h = 0; h < hosts.size(); ++h) {
        auto& host = hosts[h];
        std::vector<std::string> problems;
        for (std::size_t k = 0; k < 2; ++k) {
            const auto& answer = host_answers[h * 3 + k];
            const bool wanted = k == 0 ? want_v4 : want_v6;
            if (!answer) {
                if (wanted) problems.push_back(answer.error().message);
                host.addresses_secure = false;
                continue;
            }
            if (answer->security == dns::Security::bogus) {
                across.push_back({State::critical, "addresses of " + host.name + " fail DNSSEC validation (" +
                                                       answer->why_bogus + "): validating senders cannot reach it"});
                host.addresses_secure = false;
                continue;
            }
            if (answer->security != dns::Security::secure) host.addresses_secure = false;
            if (!wanted) continue;
            for (auto& address : answer->addresses()) host.addresses.push_back(std::move(address));
        }
        if (host.addresses.size() > connection.max_addresses) host.addresses.resize(connection.max_addresses);
        if (host.addresses.empty()) {
            std::string why = problems.empty() ? "" : " (" + problems.front() + ")";
            across.push_back({State::critical, host.name + " has no address" + why + ": mail cannot go there"});
        }
        const std::string owner = runner::tlsa_owner(connection.port, host.name);
        host.tlsa = host.addresses_secure ? runner::tlsa_lookup_from(owner, host_answers[h * 3 + 2])
                                          : runner::tlsa_not_applicable(owner, "the addresses of " + host.name +
                                                                                   " are not DNSSEC-secure");
    }
    std::vector<net::Endpoint> policy_endpoints;
    if (sts_record) {
        for (std::size_t k = 0; k < 2; ++k) {
            const auto& answer = host_answers[hosts.size() * 3 + k];
            if (!answer || answer->security == dns::Security::bogus) continue;
            for (const auto& address : answer->addresses()) {
                if (auto endpoint = endpoint_at(address, 443, deadline)) policy_endpoints.push_back(std::move(*endpoint));
            }
        }
    }

    // 3. Every address of every MX host, and the policy, in parallel.
    runner::AddressPlan plan;
    plan.each = true;
    plan.name = domain;
    std::vector<AddressFacts> facts;
    for (std::size_t h = 0; h < hosts.size(); ++h) {
        for (const auto& address : hosts[h].addresses) {
            auto endpoint = endpoint_at(address, connection.port, deadline);
            if (!endpoint) continue;
            endpoint->text = hosts[h].name + " " + endpoint->text;
            plan.endpoints.push_back(std::move(*endpoint));
            facts.push_back(AddressFacts{h, false, false, false, std::nullopt});
        }
    }
    plan.resolved = plan.endpoints.size();
    std::vector<std::optional<plugin::Report>> checked(plan.endpoints.size());
    PolicyFetch policy;
    const std::size_t tasks = plan.endpoints.size() + (sts_record ? 1 : 0);
    // Each check has the whole deadline; past 32 at once, threads cost more than they save.
    run_in_parallel(tasks, std::min<std::size_t>(tasks, 32), [&](std::size_t i) {
        if (i == plan.endpoints.size()) {
            policy = fetch_policy(config, policy_endpoints, deadline);
            return;
        }
        checked[i] = check_address(config, connection, hosts[facts[i].host], plan.endpoints[i], deadline, facts[i]);
    });
    std::vector<plugin::Report> reports;
    for (auto& one : checked) reports.push_back(std::move(*one));

    // MTA-STS: every MX host must match a pattern; in enforce mode its certificate must be valid.
    const mail::MtaStsMode mode = policy.policy ? policy.policy->mode : mail::MtaStsMode::none;
    const bool sts_active = policy.policy && mode != mail::MtaStsMode::none;
    std::size_t sts_covered = 0;
    if (!sts_problem.empty()) across.push_back({State::warning, sts_problem});
    if (sts_record && !policy.policy)
        across.push_back({State::warning, "MTA-STS policy not available (" + policy.problem +
                                              "): senders treat the domain as having no policy"});
    if (policy.policy) {
        std::string patterns;
        for (const auto& pattern : policy.policy->mx) patterns += (patterns.empty() ? "" : ", ") + pattern;
        report.add_detail("MTA-STS: id " + sts_record->id + ", mode " + std::string(mail::mode_name(mode)) +
                          ", max_age " + std::to_string(policy.policy->max_age) + ", mx " +
                          (patterns.empty() ? std::string("none") : patterns));
    }
    if (sts_active) {
        const State state = mode == mail::MtaStsMode::enforce ? State::critical : State::warning;
        const std::string who = mode == mail::MtaStsMode::enforce ? "senders enforcing MTA-STS will not deliver to "
                                                                  : "MTA-STS testing: senders would not deliver to ";
        for (auto& host : hosts) {
            host.policy_pattern = mail::matching_mx_pattern(*policy.policy, host.name);
            if (!host.policy_pattern) across.push_back({state, who + host.name + ": not in the policy's mx list"});
        }
        for (std::size_t i = 0; i < reports.size(); ++i) {
            const auto& host = hosts[facts[i].host];
            if (!host.policy_pattern) continue;
            if (!facts[i].starttls) continue;  // already CRITICAL
            if (facts[i].webpki_problem)
                reports[i].add(state, who + host.name + ": its certificate is not valid (" + *facts[i].webpki_problem + ")");
        }
        for (std::size_t h = 0; h < hosts.size(); ++h) {
            if (!hosts[h].policy_pattern) continue;
            bool all = !hosts[h].addresses.empty();
            for (std::size_t i = 0; i < reports.size(); ++i) {
                if (facts[i].host == h && (!facts[i].starttls || facts[i].webpki_problem)) all = false;
            }
            if (all) ++sts_covered;
        }
    }

    // DANE per MX host: valid when it has usable secure records and every address matched.
    std::size_t dane_hosts = 0;
    std::size_t dane_valid = 0;
    std::size_t dane_mismatch = 0;
    std::size_t starttls_missing = 0;
    for (std::size_t i = 0; i < facts.size(); ++i) {
        if (!facts[i].starttls) ++starttls_missing;
        if (facts[i].dane_failed) ++dane_mismatch;
    }
    for (std::size_t h = 0; h < hosts.size(); ++h) {
        const auto status = hosts[h].tlsa.status;
        if (status == runner::TlsaLookup::Status::insecure || status == runner::TlsaLookup::Status::none) continue;
        ++dane_hosts;
        bool all = !hosts[h].addresses.empty();
        for (std::size_t i = 0; i < facts.size(); ++i) {
            if (facts[i].host == h && !facts[i].dane_authenticated) all = false;
        }
        if (all) ++dane_valid;
    }
    const bool all_dane = dane_valid == hosts.size();

    // TLS-RPT.
    std::string tlsrpt;
    if (!answers[2]) {
        tlsrpt = "lookup failed: " + answers[2].error().message;
    } else {
        const auto texts = txt_records(*answers[2]);
        auto index = mail::select_versioned_record(texts, "v=TLSRPTv1");
        if (!index) {
            tlsrpt = texts.empty() ? "no TXT record at " + rpt_name : index.error().message;
        } else if (auto record = mail::parse_tls_rpt_record(texts[*index]); !record) {
            tlsrpt = rpt_name + ": " + record.error().message;
        } else {
            std::string rua;
            for (const auto& uri : record->rua) rua += (rua.empty() ? "" : ", ") + uri;
            report.add_detail("TLS-RPT: reports go to " + rua);
        }
    }
    if (!tlsrpt.empty()) {
        if (config.require.tlsrpt) across.push_back({State::warning, "TLS-RPT required: " + tlsrpt});
        else report.add_detail("TLS-RPT: " + tlsrpt);
    }

    // The policy: what the operator requires, and some downgrade protection at all.
    const bool sts_enforced = sts_active && mode == mail::MtaStsMode::enforce;
    if (config.require.dane && !all_dane)
        across.push_back({State::critical, "DANE required: valid on " + std::to_string(dane_valid) + "/" +
                                               std::to_string(hosts.size()) + " MX hosts"});
    if (config.require.mta_sts && !sts_enforced)
        across.push_back({State::critical, std::string("MTA-STS required: ") +
                                               (sts_active ? "the policy is in testing mode" : "no policy in force")});
    if (config.require.dane_or_mta_sts && !all_dane && !sts_enforced)
        across.push_back({State::critical, "DANE or MTA-STS required: neither protects every MX host"});
    if (!config.require.dane && !config.require.mta_sts && !config.require.dane_or_mta_sts && dane_hosts == 0 &&
        !sts_active)
        across.push_back({State::warning, "downgrade protection: none (no DANE TLSA records, no MTA-STS policy)"});
    for (const auto& name : left_out) report.add_detail(name + " not checked (--max-mx " + std::to_string(config.max_mx) + ")");

    // The overview that line 1 ends with.
    const std::size_t addresses = plan.endpoints.size();
    std::string overview = plugin::count_text(hosts.size(), "MX", "MX") + (implicit_mx ? " (the domain itself)" : "") + ", " +
                           plugin::count_text(addresses, "address", "addresses");
    overview += starttls_missing == 0 ? "; STARTTLS on all"
                                      : "; STARTTLS on " + std::to_string(addresses - starttls_missing) + "/" +
                                            std::to_string(addresses);
    overview += dane_hosts == 0 ? "; DANE: none"
                                : "; DANE valid on " + std::to_string(dane_valid) + "/" + std::to_string(hosts.size());
    if (sts_active)
        overview += "; MTA-STS " + std::string(mail::mode_name(mode)) + " covers " + std::to_string(sts_covered) + "/" +
                    std::to_string(hosts.size());
    else overview += "; MTA-STS: none";

    // The domain's own findings join those about its hosts; then one report for all.
    for (const auto& finding : report.findings()) across.push_back(finding);
    plugin::Report combined(std::string(identity.prefix));
    const bool single = reports.size() == 1 && across.empty();
    const bool no_address = reports.empty();
    if (no_address) {
        for (const auto& finding : across) combined.add(finding.state, finding.text);
    } else {
        combined = runner::combine_addresses(std::string(identity.prefix), plan, std::move(reports), across,
                                             connection.verbosity);
    }
    combined.add_details_first(report.details());
    // One address: its report is the run's, and its context (where) follows the domain.
    const bool ok = combined.state() == State::ok;
    combined.set_context(single && !ok ? domain + ": " + plan.endpoints.front().text : domain + ":");
    if (ok) {
        combined.set_summary(overview);
        combined.set_summary_tail("");
    } else {
        combined.set_summary_tail(overview);
    }
    if (no_address) {
        combined.add_perfdata(plugin::count_perfdata("addresses", 0));
        combined.add_perfdata(plugin::count_perfdata("addresses_failing", 0));
    }
    combined.add_perfdata(plugin::count_perfdata("mx", hosts.size()));
    combined.add_perfdata(plugin::count_perfdata("starttls_missing", starttls_missing));
    combined.add_perfdata(plugin::count_perfdata("dane_mismatch", dane_mismatch));
    return finish(combined);
}

}  // namespace

int main(int argc, char** argv) {
    return plugin::run_plugin(identity.prefix, [&] { return check(argc, argv); });
}
