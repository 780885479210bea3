// Shared option parsing: good values are read, every bad one is a one-line UNKNOWN with a
// reason and a short usage, never an exception.

#include <boost/test/unit_test.hpp>

#include <string>
#include <variant>
#include <vector>

#include "plugin/options.hpp"

namespace po = boost::program_options;
using namespace tls_checks::plugin;

namespace {

constexpr PluginIdentity identity{"TEST", "check_test", "tests the option parser", "-H host [-p port]", 443};

std::variant<CommandLine, EarlyExit> parse(std::vector<const char*> args) {
    args.insert(args.begin(), "check_test");
    po::options_description specific("Test options");
    specific.add_options()("warning,w", po::value<std::string>()->default_value("30"), "w");
    return parse_command_line(identity, specific, static_cast<int>(args.size()), args.data());
}

ConnectionOptions connection_of(std::vector<const char*> args) {
    auto parsed = parse(std::move(args));
    BOOST_REQUIRE(std::holds_alternative<CommandLine>(parsed));
    return std::get<CommandLine>(parsed).connection;
}

// Returns the first output line of an early exit, after checking exit code and shape.
std::string error_line(std::vector<const char*> args) {
    auto parsed = parse(std::move(args));
    BOOST_REQUIRE(std::holds_alternative<EarlyExit>(parsed));
    const auto& early = std::get<EarlyExit>(parsed);
    BOOST_TEST(early.exit_code == 3);
    const auto newline = early.output.find('\n');
    BOOST_REQUIRE(newline != std::string::npos);
    const std::string first = early.output.substr(0, newline);
    BOOST_TEST(first.rfind("TEST UNKNOWN - ", 0) == 0U);
    const std::string rest = early.output.substr(newline + 1);
    BOOST_TEST(rest.rfind("Usage: check_test ", 0) == 0U);
    BOOST_TEST(rest.size() <= 81U);  // one usage line within 80 columns
    return first;
}

}  // namespace

BOOST_AUTO_TEST_CASE(defaults_apply_when_only_the_host_is_given) {
    const auto options = connection_of({"-H", "example.org"});
    BOOST_TEST(options.hostname == "example.org");
    BOOST_TEST(options.port == 443);
    BOOST_TEST(!options.port_given);
    BOOST_TEST(options.timeout_seconds == 10.0);
    BOOST_TEST(static_cast<int>(options.timeout_state) == static_cast<int>(State::critical));
    BOOST_TEST(options.verbosity == 0);
    BOOST_TEST(options.starttls == "auto");
}

BOOST_AUTO_TEST_CASE(shared_options_are_read) {
    const auto options = connection_of({"--hostname", "[::1]", "-I", "127.0.0.1", "-p", "8443", "-4", "--sni",
                                        "sni.example", "-t", "3.5:unknown", "-vvv", "--starttls", "none"});
    BOOST_TEST(options.hostname == "::1");
    BOOST_TEST(options.address.value_or("") == "127.0.0.1");
    BOOST_TEST(options.port == 8443);
    BOOST_TEST(static_cast<int>(options.ip_version) == static_cast<int>(IpVersion::v4));
    BOOST_TEST(options.sni.value_or("") == "sni.example");
    BOOST_TEST(options.timeout_seconds == 3.5);
    BOOST_TEST(static_cast<int>(options.timeout_state) == static_cast<int>(State::unknown));
    BOOST_TEST(options.verbosity == 3);
    BOOST_TEST(options.starttls == "none");
}

BOOST_AUTO_TEST_CASE(addresses_mode_and_limit_are_read_and_a_name_as_address_loses_its_trailing_dot) {
    const auto options = connection_of({"-H", "example.org", "-I", "backend.example.org.", "--addresses", "first",
                                        "--max-addresses", "4"});
    BOOST_TEST(options.address.value_or("") == "backend.example.org");
    BOOST_TEST((options.addresses == tls_checks::plugin::AddressMode::first));
    BOOST_TEST(options.max_addresses == 4U);
    const auto defaults = connection_of({"-H", "example.org"});
    BOOST_TEST((defaults.addresses == tls_checks::plugin::AddressMode::every));
    BOOST_TEST(defaults.max_addresses == 16U);
}

BOOST_AUTO_TEST_CASE(verbose_counts_every_repetition) {
    BOOST_TEST(connection_of({"-H", "h", "-v"}).verbosity == 1);
    BOOST_TEST(connection_of({"-H", "h", "-v", "--verbose"}).verbosity == 2);
    BOOST_TEST(connection_of({"-H", "h", "-vv"}).verbosity == 2);
}

BOOST_AUTO_TEST_CASE(port_may_be_a_service_name) {
    BOOST_TEST(parse_port("https").value_or(0) == 443);
    BOOST_TEST(parse_port("25").value_or(0) == 25);
    BOOST_TEST(!parse_port("0").has_value());
    BOOST_TEST(!parse_port("65536").has_value());
    BOOST_TEST(!parse_port("443x").has_value());
    BOOST_TEST(!parse_port("no-such-service").has_value());
}

BOOST_AUTO_TEST_CASE(bad_values_give_one_unknown_line_naming_the_option) {
    BOOST_TEST(error_line({}).find("-H/--hostname is required") != std::string::npos);
    BOOST_TEST(error_line({"-H", "h", "-p", "70000"}).find("bad -p/--port '70000'") != std::string::npos);
    BOOST_TEST(error_line({"-H", "h", "-p", "-1"}).find("port") != std::string::npos);
    BOOST_TEST(error_line({"-H", "h", "-t", "0"}).find("bad -t/--timeout '0'") != std::string::npos);
    BOOST_TEST(error_line({"-H", "h", "-t", "5:maybe"}).find("bad -t/--timeout") != std::string::npos);
    BOOST_TEST(error_line({"-H", "h", "-t", "abc"}).find("bad -t/--timeout") != std::string::npos);
    BOOST_TEST(error_line({"-H", "h", "-4", "-6"}).find("-4 and -6") != std::string::npos);
    BOOST_TEST(error_line({"-H", "bad host"}).find("bad -H/--hostname") != std::string::npos);
    BOOST_TEST(error_line({"-H", "h|x"}).find("bad -H/--hostname") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(unknown_options_positionals_and_missing_values_are_usage_errors) {
    BOOST_TEST(error_line({"-H", "h", "--no-such-option"}).find("no-such-option") != std::string::npos);
    BOOST_TEST(error_line({"-H", "h", "stray"}).find("positional") != std::string::npos);
    BOOST_TEST(error_line({"-H"}).find("hostname") != std::string::npos);
    BOOST_TEST(error_line({"-H", "a", "-H", "b"}).find("hostname") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(help_and_version_exit_unknown_with_text) {
    auto help = parse({"--help"});
    BOOST_REQUIRE(std::holds_alternative<EarlyExit>(help));
    BOOST_TEST(std::get<EarlyExit>(help).exit_code == 3);
    BOOST_TEST(std::get<EarlyExit>(help).output.find("--hostname") != std::string::npos);
    BOOST_TEST(std::get<EarlyExit>(help).output.find("--warning") != std::string::npos);
    auto version = parse({"-V"});
    BOOST_REQUIRE(std::holds_alternative<EarlyExit>(version));
    BOOST_TEST(std::get<EarlyExit>(version).output == std::string("check_test ") + TLS_CHECKS_VERSION + "\n");
}
