// ServerHello and SSLv2 SERVER-HELLO parsers, driven by the vectors in tests/data/.

#include <boost/test/unit_test.hpp>

#include <string>

#include "tls/server_hello.hpp"
#include "vectors.hpp"
#include "wire/hex.hpp"

using namespace tls_checks;
using tls_checks::wire::hex16;

namespace {

std::string summary(const Expected<tls::ServerHello, std::string>& parsed) {
    if (!parsed) return "error " + parsed.error();
    const auto& hello = *parsed;
    std::string out = "ok version=" + hex16(hello.legacy_version) + " negotiated=" + hex16(hello.negotiated_version()) +
                      " cipher=" + hex16(hello.cipher_suite) + " hrr=" + (hello.hello_retry_request ? "yes" : "no");
    if (hello.selected_group) out += " group=" + hex16(*hello.selected_group);
    out += " extensions=";
    for (std::size_t i = 0; i < hello.extensions.size(); ++i) out += (i ? "," : "") + std::to_string(hello.extensions[i]);
    return out;
}

std::string summary(const Expected<tls::Sslv2ServerHello, std::string>& parsed) {
    if (!parsed) return "error " + parsed.error();
    return "ok version=" + hex16(parsed->version) + " ciphers=" + std::to_string(parsed->cipher_spec_count) +
           " certificate=" + std::to_string(parsed->certificate_length) +
           " connection_id=" + std::to_string(parsed->connection_id_length);
}

// Where a ServerHello without extensions ends: version, random, session id, suite, compression.
std::size_t fixed_part_size(const std::vector<std::uint8_t>& body) { return 2 + 32 + 1 + body.at(34) + 2 + 1; }

}  // namespace

BOOST_AUTO_TEST_CASE(server_hello_vectors_parse_to_their_expected_facts_or_errors) {
    for (const auto& vector : test::read_vectors("server_hello.vec")) {
        BOOST_TEST_INFO("vector " << vector.name);
        BOOST_TEST(summary(tls::parse_server_hello(vector.bytes("input"))) == vector.fields.at("expect"));
    }
}

BOOST_AUTO_TEST_CASE(no_strict_prefix_of_a_valid_server_hello_parses_except_before_its_extensions) {
    for (const auto& vector : test::read_vectors("server_hello.vec")) {
        if (vector.fields.at("expect").rfind("ok", 0) != 0) continue;
        const auto bytes = vector.bytes("input");
        for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
            const std::vector<std::uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
            const bool parses = tls::parse_server_hello(prefix).has_value();
            BOOST_TEST_INFO("vector " << vector.name << ", prefix of " << cut << " bytes");
            // RFC 5246 7.4.1.4: a hello that stops right before its extensions is complete.
            BOOST_TEST(parses == (cut == fixed_part_size(bytes)));
        }
    }
}

BOOST_AUTO_TEST_CASE(sslv2_server_hello_vectors_parse_to_their_expected_facts_or_errors) {
    for (const auto& vector : test::read_vectors("sslv2_server_hello.vec")) {
        BOOST_TEST_INFO("vector " << vector.name);
        BOOST_TEST(summary(tls::parse_sslv2_server_hello(vector.bytes("input"))) == vector.fields.at("expect"));
    }
}

BOOST_AUTO_TEST_CASE(no_strict_prefix_of_a_valid_sslv2_server_hello_parses) {
    for (const auto& vector : test::read_vectors("sslv2_server_hello.vec")) {
        if (vector.fields.at("expect").rfind("ok", 0) != 0) continue;
        const auto bytes = vector.bytes("input");
        for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
            const std::vector<std::uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
            BOOST_TEST_INFO("vector " << vector.name << ", prefix of " << cut << " bytes");
            BOOST_TEST(!tls::parse_sslv2_server_hello(prefix).has_value());
        }
    }
}
