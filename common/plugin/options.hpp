#pragma once
// The options every plugin shares, parsed with Boost.ProgramOptions, and the early exits
// (help, version, bad option) that end a run before any network work.

#include <boost/program_options.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "base/expected.hpp"
#include "plugin/expiry_threshold.hpp"
#include "plugin/run.hpp"
#include "plugin/status.hpp"

namespace tls_checks::plugin {

struct PluginIdentity {
    std::string_view prefix;        // "TLS_CERT"
    std::string_view program;       // "check_tls_cert"
    std::string_view purpose;       // one sentence for --help
    std::string_view usage;         // "-H host [-p port] [-w days] [-c days] ..." (fits 80 columns)
    std::uint16_t default_port = 443;
    // An option of the plugin's own that makes it work without a network target (check_tls_cert
    // --file): when given, -H is not required.
    std::string_view offline_option = {};
    // What a run without -H (and without offline_option) is told; empty: "-H/--hostname is required".
    std::string_view missing_target = {};
    // Shared options the plugin refuses (long names, space-separated): left out of --help; the
    // plugin says why when one is given.
    std::string_view refused_options = {};
};

enum class IpVersion { any, v4, v6 };

// --addresses: check every address of -H, or only the first to accept a connection.
enum class AddressMode { every, first };
inline constexpr std::size_t default_max_addresses = 16;
inline constexpr std::size_t max_max_addresses = 64;

struct ConnectionOptions {
    std::string hostname;                 // -H: SNI and name matching; resolved unless -I is given
    std::optional<std::string> address;   // -I: connect here instead
    std::uint16_t port = 443;
    bool port_given = false;
    IpVersion ip_version = IpVersion::any;
    AddressMode addresses = AddressMode::every;          // --addresses
    std::size_t max_addresses = default_max_addresses;  // --max-addresses
    std::optional<std::string> sni;       // --sni: overrides -H for SNI
    double timeout_seconds = 10.0;
    State timeout_state = State::critical;
    int verbosity = 0;
    std::string starttls = "auto";        // protocol name, "auto" or "none"
    std::optional<std::string> ehlo;      // --ehlo: SMTP EHLO / LMTP LHLO name (default: this host's name)
    std::optional<std::string> xmpp_domain;  // --xmpp-domain: XMPP stream "to" (default: -H)
    std::optional<std::string> client_certificate;  // --client-cert (plugins that complete handshakes)
    std::optional<std::string> client_key;          // --client-key (default: the --client-cert file)
    // Not an option of its own: ask for a stapled OCSP response (check_tls_cert --revocation none
    // turns it off).
    bool request_ocsp_staple = true;
};

// --client-cert and --client-key, for the plugins that complete a TLS handshake; parse_command_line
// fills ConnectionOptions from them when a plugin adds these to its own options.
boost::program_options::options_description client_certificate_options();

struct CommandLine {
    boost::program_options::variables_map values;  // the plugin's own options are read from here
    ConnectionOptions connection;
};

// Help, version or a bad option: print `output` to stdout and exit with `exit_code` (3).
struct EarlyExit {
    int exit_code = 3;  // UNKNOWN, as the guidelines want for --help and --version too
    std::string output;

    [[nodiscard]] PluginOutput output_of() const { return PluginOutput{exit_code, output}; }
};

// Parses argv: the shared options plus `specific`. Positional arguments, unknown options,
// missing values and malformed shared values all become an EarlyExit with one clear line.
std::variant<CommandLine, EarlyExit> parse_command_line(const PluginIdentity& identity,
                                                        const boost::program_options::options_description& specific,
                                                        int argc, const char* const* argv);

// "PREFIX UNKNOWN - <message>" and a short usage line, for errors found in the plugin's own
// options after parsing.
EarlyExit usage_error(const PluginIdentity& identity, std::string_view message);

// A host name option (-H, --sni, --name) as SNI, matching and DNS want it: brackets around an
// IPv6 literal and one trailing dot removed, a U-label converted to its A-label; an error
// message naming the option otherwise.
struct OptionError {
    std::string message;
};
Expected<std::string, OptionError> host_option(const std::string& text, std::string_view option);

// -w/-c as expiry thresholds (plugin/expiry_threshold.hpp): the option `name` when given,
// `fallback` otherwise; "bad --NAME: why" when malformed.
Expected<ExpiryThreshold, OptionError> expiry_threshold_option(const boost::program_options::variables_map& values,
                                                               const char* name, ExpiryThreshold fallback);

// Strict parsers for option values; nullopt means malformed.
std::optional<std::uint16_t> parse_port(std::string_view text);
std::optional<std::pair<double, State>> parse_timeout(std::string_view text);
std::optional<long> parse_integer(std::string_view text, long min, long max);

}  // namespace tls_checks::plugin
