// What check_mail_tls reads out of DNS answers: the RDATA of MX, TXT, A, AAAA and TLSA records
// (tests/data/dns_rdata.vec), and the --dns-server parser. The RDATA comes from servers the
// operator does not control, so malformed data must be refused, never read past.

#include <boost/test/unit_test.hpp>

#include <string>

#include "dns/resolver.hpp"
#include "tls/dane.hpp"
#include "vectors.hpp"

using namespace tls_checks;

namespace {

// The parser's answer in the form of the vector file's `expect`.
std::string parsed(const test::Vector& vector) {
    const auto rdata = vector.bytes("input");
    const std::string& type = vector.fields.at("type");
    if (type == "mx") {
        auto mx = dns::parse_mx(rdata);
        return mx ? std::to_string(mx->preference) + " " + mx->host : "none";
    }
    if (type == "txt") return dns::parse_txt(rdata).value_or("none");
    if (type == "a") return dns::parse_address(dns::RrType::a, rdata).value_or("none");
    if (type == "aaaa") return dns::parse_address(dns::RrType::aaaa, rdata).value_or("none");
    if (type == "tlsa") {
        auto tlsa = tls::parse_tlsa(rdata);
        return tlsa ? tls::tlsa_text(*tlsa) : "none";
    }
    throw std::runtime_error(vector.name + ": unknown type " + type);
}

}  // namespace

BOOST_AUTO_TEST_CASE(rdata_vectors_parse_as_expected) {
    const auto vectors = test::read_vectors("dns_rdata.vec");
    BOOST_TEST(vectors.size() >= 15u);
    for (const auto& vector : vectors) {
        BOOST_TEST_CONTEXT(vector.name) { BOOST_TEST(parsed(vector) == vector.fields.at("expect")); }
    }
}

BOOST_AUTO_TEST_CASE(a_tlsa_record_text_is_cut_after_sixteen_bytes) {
    tls::TlsaRecord record{3, 1, 1, std::vector<std::uint8_t>(32, 0xab)};
    BOOST_TEST(tls::tlsa_text(record) == "3 1 1 abababababababababababababababab...");
    BOOST_TEST(tls::usage_name(2) == "DANE-TA(2)");
    BOOST_TEST(tls::usage_name(7) == "usage 7");
}

BOOST_AUTO_TEST_CASE(dns_server_takes_an_address_and_an_optional_port) {
    BOOST_TEST(dns::forwarder_address("127.0.0.1").value() == "127.0.0.1");
    BOOST_TEST(dns::forwarder_address("127.0.0.1@5353").value() == "127.0.0.1@5353");
    BOOST_TEST(dns::forwarder_address("127.0.0.1#5353").value() == "127.0.0.1@5353");
    BOOST_TEST(dns::forwarder_address("::1").value() == "::1");
    BOOST_TEST(dns::forwarder_address("[::1]@53").value() == "::1@53");
    BOOST_TEST(dns::forwarder_address("2001:db8::53@853").value() == "2001:db8::53@853");
}

BOOST_AUTO_TEST_CASE(dns_server_refuses_names_and_bad_ports) {
    BOOST_TEST(dns::forwarder_address("resolver.example").error().message == "'resolver.example' is not an IP address");
    BOOST_TEST(dns::forwarder_address("127.0.0.1@0").error().message == "bad port '0'");
    BOOST_TEST(dns::forwarder_address("127.0.0.1@65536").error().message == "bad port '65536'");
    BOOST_TEST(dns::forwarder_address("127.0.0.1@").error().message == "bad port ''");
    BOOST_TEST(dns::forwarder_address("[::1").error().message == "no ']' after the IPv6 address");
    BOOST_TEST(dns::forwarder_address("").error().message == "'' is not an IP address");
}

BOOST_AUTO_TEST_CASE(a_missing_trust_anchor_is_named) {
    dns::ResolverOptions options;
    options.server = "127.0.0.1@9";
    options.trust_anchor_file = "/nonexistent/anchor.key";
    auto resolver = dns::Resolver::create(options);
    BOOST_TEST_REQUIRE(!resolver.has_value());
    BOOST_TEST(resolver.error() == "trust anchor /nonexistent/anchor.key: No such file or directory");
}
