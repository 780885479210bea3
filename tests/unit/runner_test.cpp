// The glue between options and the core: which STARTTLS protocol a run uses, and its port.

#include <boost/test/unit_test.hpp>

#include "runner/connection.hpp"

using namespace tls_checks;

namespace {

plugin::ConnectionOptions options(std::string starttls, std::uint16_t port, bool port_given) {
    plugin::ConnectionOptions result;
    result.hostname = "mx.example.test";
    result.starttls = std::move(starttls);
    result.port = port;
    result.port_given = port_given;
    return result;
}

}  // namespace

BOOST_AUTO_TEST_CASE(auto_picks_the_protocol_from_the_port_and_implicit_tls_elsewhere) {
    BOOST_TEST((runner::starttls_protocol(options("auto", 25, true)).value() == starttls::Protocol::smtp));
    BOOST_TEST((runner::starttls_protocol(options("auto", 587, true)).value() == starttls::Protocol::submission));
    BOOST_TEST((runner::starttls_protocol(options("auto", 5269, true)).value() == starttls::Protocol::xmpp_server));
    BOOST_TEST(!runner::starttls_protocol(options("auto", 443, true)).value().has_value());
    BOOST_TEST(!runner::starttls_protocol(options("none", 25, true)).value().has_value());
    BOOST_TEST((runner::starttls_protocol(options("imap", 10143, true)).value() == starttls::Protocol::imap));
}

BOOST_AUTO_TEST_CASE(unknown_protocol_name_is_an_error_listing_the_known_ones) {
    const auto result = runner::starttls_protocol(options("smpt", 25, true));
    BOOST_REQUIRE(!result.has_value());
    BOOST_TEST(result.error().rfind("bad --starttls 'smpt': want auto, none, smtp, submission, lmtp", 0) == 0U);
}

BOOST_AUTO_TEST_CASE(explicit_protocol_without_port_uses_the_protocols_port) {
    BOOST_TEST(runner::with_protocol_port(options("smtp", 443, false)).port == 25);
    BOOST_TEST(runner::with_protocol_port(options("postgres", 443, false)).port == 5432);
    BOOST_TEST(runner::with_protocol_port(options("smtp", 2525, true)).port == 2525);
    BOOST_TEST(runner::with_protocol_port(options("auto", 443, false)).port == 443);
}

BOOST_AUTO_TEST_CASE(sni_is_never_an_ip_literal) {
    auto named = options("none", 443, true);
    BOOST_TEST(runner::server_name_for(named).value_or("") == "mx.example.test");
    named.hostname = "192.0.2.1";
    BOOST_TEST(!runner::server_name_for(named).has_value());
    named.sni = "override.example";
    BOOST_TEST(runner::server_name_for(named).value_or("") == "override.example");
}
