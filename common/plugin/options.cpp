#include "plugin/options.hpp"

#include <netdb.h>

#include <charconv>
#include <sstream>

#include "net/host_name.hpp"
#include "plugin/number.hpp"
#include "plugin/sanitize.hpp"

namespace po = boost::program_options;

namespace tls_checks::plugin {

namespace {

constexpr const char* shared_caption = "Connection and general options";

po::options_description shared_options() {
    po::options_description options(shared_caption, 80);
    // clang-format off
    options.add_options()
        ("hostname,H", po::value<std::string>()->value_name("NAME"),
            "host to check (required): resolved unless -I is given, and sent as SNI")
        ("address,I", po::value<std::string>()->value_name("ADDR"),
            "connect to this address instead of resolving -H")
        ("port,p", po::value<std::string>()->value_name("PORT"), "TCP port number or service name")
        ("ipv4,4", po::bool_switch(), "use IPv4 only")
        ("ipv6,6", po::bool_switch(), "use IPv6 only")
        ("addresses", po::value<std::string>()->value_name("MODE"),
            "every (default): check each address of -H, in parallel, the worst state wins; "
            "first: only the first to accept a connection (Happy Eyeballs, RFC 8305)")
        ("max-addresses", po::value<std::string>()->value_name("N"),
            "check at most N addresses of -H (1-64, default 16)")
        ("sni", po::value<std::string>()->value_name("NAME"), "server name to send instead of -H")
        ("starttls", po::value<std::string>()->value_name("PROTO"),
            "STARTTLS dialog: auto (by port, default), none (implicit TLS), or one of smtp, "
            "submission, lmtp, pop3, imap, ftp, ldap, xmpp, xmpp-server, nntp, sieve, postgres, "
            "mysql, irc")
        ("ehlo", po::value<std::string>()->value_name("NAME"), "name for SMTP EHLO / LMTP LHLO (default: this host)")
        ("xmpp-domain", po::value<std::string>()->value_name("NAME"), "XMPP domain to open the stream to (default: -H)")
        ("timeout,t", po::value<std::string>()->value_name("SEC[:STATE]"),
            "whole-run time limit in seconds (default 10), and the state when it runs out "
            "(ok, warning, critical (default), unknown)")
        ("verbose,v", po::bool_switch(), "print the long output also when OK (accepted up to -vvv)")
        ("help,h", po::bool_switch(), "print this help and exit")
        ("version,V", po::bool_switch(), "print the version and exit");
    // clang-format on
    return options;
}

std::string first_line(const PluginIdentity& identity, std::string_view message) {
    return std::string(identity.prefix) + " UNKNOWN - " + sanitize_text(message, 300) + "\n";
}

std::string usage_line(const PluginIdentity& identity) {
    return "Usage: " + std::string(identity.program) + " " + std::string(identity.usage) + "\n";
}

bool plausible_host(std::string_view host) {
    if (host.empty() || host.size() > 253) return false;
    for (const char c : host) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20 || byte == 0x7F || c == '/' || c == '|') return false;
    }
    return true;
}

std::string strip_brackets(std::string text) {
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']') return text.substr(1, text.size() - 2);
    return text;
}

}  // namespace

po::options_description client_certificate_options() {
    po::options_description options("Client certificate (mutual TLS)", 80);
    // clang-format off
    options.add_options()
        ("client-cert", po::value<std::string>()->value_name("FILE"),
            "present this client certificate (PEM, leaf first, may hold its chain)")
        ("client-key", po::value<std::string>()->value_name("FILE"),
            "the key of --client-cert (PEM, unencrypted; default: the --client-cert file)");
    // clang-format on
    return options;
}

Expected<std::string, OptionError> host_option(const std::string& text, std::string_view option) {
    const std::string name = strip_brackets(text);
    if (!plausible_host(name)) return unexpected(OptionError{"bad " + std::string(option) + " '" + name + "'"});
    auto normalized = net::normalize_host_name(name);
    if (!normalized) return unexpected(OptionError{"bad " + std::string(option) + ": " + normalized.error().message});
    return std::move(*normalized);
}

Expected<ExpiryThreshold, OptionError> expiry_threshold_option(const po::variables_map& values, const char* name,
                                                               ExpiryThreshold fallback) {
    if (!values.count(name)) return fallback;
    auto parsed = parse_expiry_threshold(values[name].as<std::string>());
    if (auto* error = std::get_if<RangeError>(&parsed))
        return unexpected(OptionError{std::string("bad --") + name + ": " + error->message});
    return std::get<ExpiryThreshold>(std::move(parsed));
}

std::optional<long> parse_integer(std::string_view text, long min, long max) {
    long value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < min || value > max)
        return std::nullopt;
    return value;
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
    if (!text.empty() && text.front() >= '0' && text.front() <= '9') {
        const auto number = parse_integer(text, 1, 65535);
        if (!number) return std::nullopt;
        return static_cast<std::uint16_t>(*number);
    }
    if (text.empty() || text.size() > 64) return std::nullopt;
    const std::string name(text);
    const servent* service = getservbyname(name.c_str(), "tcp");
    if (service == nullptr) return std::nullopt;
    return static_cast<std::uint16_t>(ntohs(static_cast<std::uint16_t>(service->s_port)));
}

std::optional<std::pair<double, State>> parse_timeout(std::string_view text) {
    State state = State::critical;
    std::string_view seconds_text = text;
    if (const auto colon = text.find(':'); colon != std::string_view::npos) {
        seconds_text = text.substr(0, colon);
        const auto parsed_state = parse_state(text.substr(colon + 1));
        if (!parsed_state) return std::nullopt;
        state = *parsed_state;
    }
    const auto seconds = parse_decimal(seconds_text);
    // Monitoring cores kill a check after 60 s (Icinga) or service_check_timeout; allow an hour
    // for manual runs, refuse nonsense.
    if (!seconds || *seconds <= 0.0 || *seconds > 3600.0) return std::nullopt;
    return std::pair{*seconds, state};
}

EarlyExit usage_error(const PluginIdentity& identity, std::string_view message) {
    return EarlyExit{3, first_line(identity, message) + usage_line(identity)};
}

std::variant<CommandLine, EarlyExit> parse_command_line(const PluginIdentity& identity,
                                                        const po::options_description& specific, int argc,
                                                        const char* const* argv) {
    po::options_description all(80);
    const auto shared = shared_options();
    all.add(specific).add(shared);

    CommandLine command_line;
    ConnectionOptions& connection = command_line.connection;
    try {
        auto parsed = po::command_line_parser(argc, argv).options(all).run();
        // -v may be repeated (-vvv): count it ourselves, since a switch can be stored only once.
        auto& items = parsed.options;
        for (auto it = items.begin(); it != items.end();) {
            if (it->position_key >= 0 || it->string_key.empty()) {
                const std::string token = it->original_tokens.empty() ? "" : it->original_tokens.front();
                return usage_error(identity, "unexpected positional argument '" + token + "'");
            }
            if (it->string_key == "verbose") {
                ++connection.verbosity;
                it = items.erase(it);
            } else {
                ++it;
            }
        }
        po::store(parsed, command_line.values);
        po::notify(command_line.values);
    } catch (const po::error& error) {
        return usage_error(identity, error.what());
    }
    const auto& values = command_line.values;
    if (connection.verbosity > 3) connection.verbosity = 3;

    if (values["help"].as<bool>()) {
        po::options_description visible_shared(shared_caption, 80);
        for (const auto& option : shared.options()) {
            const std::string refused = " " + std::string(identity.refused_options) + " ";
            if (refused.find(" " + option->long_name() + " ") == std::string::npos) visible_shared.add(option);
        }
        po::options_description visible(80);
        visible.add(specific).add(visible_shared);
        std::ostringstream help;
        help << identity.program << " " << TLS_CHECKS_VERSION << " - " << identity.purpose << "\n\n"
             << usage_line(identity) << "\n"
             << visible << "\nExit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n";
        return EarlyExit{3, help.str()};
    }
    if (values["version"].as<bool>()) {
        return EarlyExit{3, std::string(identity.program) + " " + TLS_CHECKS_VERSION + "\n"};
    }

    const bool offline = !identity.offline_option.empty() && values.count(std::string(identity.offline_option)) > 0;
    if (!values.count("hostname") && !offline)
        return usage_error(identity, identity.missing_target.empty() ? "-H/--hostname is required" : identity.missing_target);
    if (values.count("hostname")) {
        auto hostname = host_option(values["hostname"].as<std::string>(), "-H/--hostname");
        if (!hostname) return usage_error(identity, hostname.error().message);
        connection.hostname = std::move(*hostname);
    }
    if (values.count("address")) {
        connection.address = strip_brackets(values["address"].as<std::string>());
        // A name given as -I is resolved like -H: one trailing dot dropped (/etc/hosts has none).
        if (connection.address->size() > 1 && connection.address->back() == '.') connection.address->pop_back();
        if (!plausible_host(*connection.address))
            return usage_error(identity, "bad -I/--address '" + *connection.address + "'");
    }
    connection.port = identity.default_port;
    if (values.count("port")) {
        const auto& text = values["port"].as<std::string>();
        const auto port = parse_port(text);
        if (!port) return usage_error(identity, "bad -p/--port '" + text + "': not 1-65535 or a known TCP service");
        connection.port = *port;
        connection.port_given = true;
    }
    const bool v4 = values["ipv4"].as<bool>();
    const bool v6 = values["ipv6"].as<bool>();
    if (v4 && v6) return usage_error(identity, "-4 and -6 exclude each other");
    connection.ip_version = v4 ? IpVersion::v4 : v6 ? IpVersion::v6 : IpVersion::any;
    if (values.count("addresses")) {
        const auto& mode = values["addresses"].as<std::string>();
        if (mode == "every") connection.addresses = AddressMode::every;
        else if (mode == "first") connection.addresses = AddressMode::first;
        else return usage_error(identity, "bad --addresses '" + mode + "': want every or first");
    }
    if (values.count("max-addresses")) {
        const auto& text = values["max-addresses"].as<std::string>();
        const auto limit = parse_integer(text, 1, static_cast<long>(max_max_addresses));
        if (!limit)
            return usage_error(identity, "bad --max-addresses '" + text + "': want a number from 1 to " +
                                             std::to_string(max_max_addresses));
        connection.max_addresses = static_cast<std::size_t>(*limit);
    }
    if (values.count("sni")) {
        auto sni = host_option(values["sni"].as<std::string>(), "--sni");
        if (!sni) return usage_error(identity, sni.error().message);
        connection.sni = std::move(*sni);
    }
    if (values.count("timeout")) {
        const auto& text = values["timeout"].as<std::string>();
        const auto timeout = parse_timeout(text);
        if (!timeout) {
            return usage_error(identity, "bad -t/--timeout '" + text +
                                             "': want SECONDS (0-3600) or SECONDS:STATE (ok, warning, critical, unknown)");
        }
        connection.timeout_seconds = timeout->first;
        connection.timeout_state = timeout->second;
    }
    if (values.count("starttls")) connection.starttls = values["starttls"].as<std::string>();
    if (values.count("ehlo")) {
        connection.ehlo = values["ehlo"].as<std::string>();
        if (!plausible_host(*connection.ehlo)) return usage_error(identity, "bad --ehlo '" + *connection.ehlo + "'");
    }
    if (values.count("client-cert")) connection.client_certificate = values["client-cert"].as<std::string>();
    if (values.count("client-key")) {
        if (!connection.client_certificate) return usage_error(identity, "--client-key goes with --client-cert");
        connection.client_key = values["client-key"].as<std::string>();
    }
    if (values.count("xmpp-domain")) {
        connection.xmpp_domain = values["xmpp-domain"].as<std::string>();
        if (!plausible_host(*connection.xmpp_domain) || connection.xmpp_domain->find_first_of("'\"<>&") != std::string::npos)
            return usage_error(identity, "bad --xmpp-domain '" + *connection.xmpp_domain + "'");
    }
    return command_line;
}

}  // namespace tls_checks::plugin
