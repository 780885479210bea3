// What an answer proves: every rule of interpret_answer() on bytes real servers send.

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "tls/probe_answer.hpp"
#include "vectors.hpp"
#include "wire/byte_writer.hpp"

using namespace tls_checks;
using tls::ProbeVerdict;
using tls::ProtocolVersion;
using Bytes = std::vector<std::uint8_t>;

namespace {

Bytes vector_input(const std::string& file, const std::string& name) {
    for (const auto& vector : test::read_vectors(file)) {
        if (vector.name == name) return vector.bytes("input");
    }
    throw std::runtime_error("no vector " + name);
}

Bytes record(std::uint8_t type, const Bytes& fragment, std::uint16_t version = 0x0303) {
    wire::ByteWriter out;
    out.u8(type);
    out.u16(version);
    out.prefixed(2, [&](wire::ByteWriter& body) { body.bytes(fragment); });
    return out.take();
}

Bytes server_hello_message(const std::string& name) {
    wire::ByteWriter out;
    out.u8(2);
    out.prefixed(3, [&](wire::ByteWriter& body) { body.bytes(vector_input("server_hello.vec", name)); });
    return out.take();
}

Bytes concat(const Bytes& a, const Bytes& b) {
    wire::ByteWriter out;
    out.bytes(a);
    out.bytes(b);
    return out.take();
}

Bytes sslv2_record(const Bytes& message) {
    wire::ByteWriter out;
    out.u16(static_cast<std::uint16_t>(0x8000u | message.size()));
    out.bytes(message);
    return out.take();
}

tls::ProbeAnswer decide(ProtocolVersion version, const Bytes& bytes, bool closed = false) {
    auto answer = tls::interpret_answer(version, bytes, closed);
    BOOST_REQUIRE(answer.has_value());
    return *answer;
}

bool undecided(ProtocolVersion version, const Bytes& bytes) { return !tls::interpret_answer(version, bytes, false).has_value(); }

}  // namespace

BOOST_AUTO_TEST_CASE(server_hello_with_the_probed_version_is_accepted) {
    const auto tls12 = decide(ProtocolVersion::tls1_2, record(22, server_hello_message("tls12_openssl")));
    BOOST_TEST((tls12.verdict == ProbeVerdict::accepted));
    BOOST_TEST(tls12.detail == "ServerHello TLSv1.2, cipher 0xC030");
    const auto tls13 = decide(ProtocolVersion::tls1_3, record(22, server_hello_message("tls13_openssl")));
    BOOST_TEST((tls13.verdict == ProbeVerdict::accepted));
    BOOST_TEST(tls13.negotiated.value_or(0) == 0x0304);
}

BOOST_AUTO_TEST_CASE(server_hello_with_a_lower_version_is_a_refusal) {
    const auto answer = decide(ProtocolVersion::tls1_2, record(22, server_hello_message("tls10_gnutls"), 0x0301));
    BOOST_TEST((answer.verdict == ProbeVerdict::refused));
    BOOST_TEST(answer.detail == "server chose TLSv1.0 instead");
}

BOOST_AUTO_TEST_CASE(server_hello_with_a_higher_version_than_offered_is_unknown) {
    const auto answer = decide(ProtocolVersion::tls1_0, record(22, server_hello_message("tls12_openssl")));
    BOOST_TEST((answer.verdict == ProbeVerdict::unknown));
}

BOOST_AUTO_TEST_CASE(hello_retry_request_proves_tls13) {
    const auto answer = decide(ProtocolVersion::tls1_3, record(22, server_hello_message("hello_retry_request_openssl")));
    BOOST_TEST((answer.verdict == ProbeVerdict::accepted));
    BOOST_TEST(answer.hello_retry_request);
    BOOST_TEST(answer.detail == "HelloRetryRequest for secp256r1");
    BOOST_TEST(answer.group.value_or(0) == 0x0017);
}

BOOST_AUTO_TEST_CASE(hello_retry_request_for_a_post_quantum_hybrid_proves_tls13_and_names_the_group) {
    const auto answer =
        decide(ProtocolVersion::tls1_3, record(22, server_hello_message("hello_retry_request_x25519mlkem768_node")));
    BOOST_TEST((answer.verdict == ProbeVerdict::accepted));
    BOOST_TEST(answer.detail == "HelloRetryRequest for X25519MLKEM768");
    BOOST_TEST(answer.group.value_or(0) == 0x11EC);
}

BOOST_AUTO_TEST_CASE(tls13_server_hello_names_the_group_it_chose) {
    const auto answer = decide(ProtocolVersion::tls1_3, record(22, server_hello_message("tls13_x25519_node")));
    BOOST_TEST((answer.verdict == ProbeVerdict::accepted));
    BOOST_TEST(answer.detail == "ServerHello TLSv1.3, cipher 0x1302, group x25519");
    BOOST_TEST(!answer.hello_retry_request);
}

BOOST_AUTO_TEST_CASE(fatal_alert_is_a_refusal_naming_the_alert) {
    const auto answer = decide(ProtocolVersion::tls1_1, record(21, {2, 70}, 0x0301));
    BOOST_TEST((answer.verdict == ProbeVerdict::refused));
    BOOST_TEST(answer.detail == "alert protocol_version");
    BOOST_TEST(answer.alert->description == 70);
}

BOOST_AUTO_TEST_CASE(warning_alert_before_the_server_hello_is_skipped) {
    const Bytes bytes = concat(record(21, {1, 112}), record(22, server_hello_message("tls12_openssl")));
    BOOST_TEST((decide(ProtocolVersion::tls1_2, bytes).verdict == ProbeVerdict::accepted));
}

BOOST_AUTO_TEST_CASE(server_hello_split_across_records_and_reads_is_reassembled) {
    const Bytes message = server_hello_message("tls12_openssl");
    const Bytes first(message.begin(), message.begin() + 3);
    const Bytes second(message.begin() + 3, message.end());
    const Bytes bytes = concat(record(22, first), record(22, second));
    for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
        BOOST_TEST_INFO("first " << cut << " bytes");
        BOOST_TEST(undecided(ProtocolVersion::tls1_2, Bytes(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut))));
    }
    BOOST_TEST((decide(ProtocolVersion::tls1_2, bytes).verdict == ProbeVerdict::accepted));
}

BOOST_AUTO_TEST_CASE(close_without_a_byte_is_a_refusal_and_close_mid_answer_is_unknown) {
    BOOST_TEST((decide(ProtocolVersion::tls1_0, {}, true).verdict == ProbeVerdict::refused));
    BOOST_TEST((decide(ProtocolVersion::sslv2, {}, true).verdict == ProbeVerdict::refused));
    const Bytes partial = {22, 3, 3, 0, 80, 2};
    BOOST_TEST((decide(ProtocolVersion::tls1_2, partial, true).verdict == ProbeVerdict::unknown));
}

BOOST_AUTO_TEST_CASE(http_error_page_is_unknown_and_quoted) {
    const std::string http = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    const auto answer = decide(ProtocolVersion::tls1_2, Bytes(http.begin(), http.end()));
    BOOST_TEST((answer.verdict == ProbeVerdict::unknown));
    BOOST_TEST(answer.detail == "not TLS: 'HTTP/1.1 400 Bad Request'");
    BOOST_TEST(answer.non_tls_text.value_or("") == "HTTP/1.1 400 Bad Request");
    const auto sslv2 = decide(ProtocolVersion::sslv2, Bytes(http.begin(), http.end()));
    BOOST_TEST((sslv2.verdict == ProbeVerdict::unknown));
    BOOST_TEST(sslv2.detail == "not SSL/TLS: 'HTTP/1.1 400 Bad Request'");
    BOOST_TEST(sslv2.non_tls_text.has_value());
}

BOOST_AUTO_TEST_CASE(tls_answers_are_never_marked_as_not_ssl_tls) {
    BOOST_TEST(!decide(ProtocolVersion::tls1_1, record(21, {2, 70}, 0x0301)).non_tls_text.has_value());
    BOOST_TEST(!decide(ProtocolVersion::tls1_2, record(22, {11, 0, 0, 0})).non_tls_text.has_value());
    BOOST_TEST(!decide(ProtocolVersion::sslv2, record(21, {2, 70}, 0x0301)).non_tls_text.has_value());
    BOOST_TEST(!decide(ProtocolVersion::tls1_0, {}, true).non_tls_text.has_value());
}

BOOST_AUTO_TEST_CASE(sslv2_server_hello_is_accepted_even_with_zero_ciphers) {
    for (const auto& [name, count] : {std::pair<std::string, std::size_t>{"scapy_server_hello", 7}, {"zero_ciphers", 0}}) {
        const Bytes bytes = sslv2_record(vector_input("sslv2_server_hello.vec", name));
        BOOST_TEST(undecided(ProtocolVersion::sslv2, Bytes(bytes.begin(), bytes.end() - 1)));
        const auto answer = decide(ProtocolVersion::sslv2, bytes);
        BOOST_TEST_INFO(name);
        BOOST_TEST((answer.verdict == ProbeVerdict::accepted));
        BOOST_TEST(answer.sslv2_cipher_count.value_or(99) == count);
        if (count == 0) BOOST_TEST(answer.detail == "SERVER-HELLO lists no ciphers (SSLv2 is still enabled)");
    }
}

BOOST_AUTO_TEST_CASE(sslv2_probe_answered_with_a_tls_alert_or_sslv2_error_is_refused) {
    const auto tls_alert = decide(ProtocolVersion::sslv2, record(21, {2, 70}, 0x0301));
    BOOST_TEST((tls_alert.verdict == ProbeVerdict::refused));
    BOOST_TEST(tls_alert.detail == "answered with TLS alert protocol_version");
    const auto error = decide(ProtocolVersion::sslv2, {0x80, 0x03, 0x00, 0x00, 0x01});
    BOOST_TEST((error.verdict == ProbeVerdict::refused));
    BOOST_TEST(error.detail == "SSLv2 ERROR code 1");
}

BOOST_AUTO_TEST_CASE(unexpected_handshake_message_is_unknown) {
    const auto answer = decide(ProtocolVersion::tls1_2, record(22, {11, 0, 0, 0}));
    BOOST_TEST((answer.verdict == ProbeVerdict::unknown));
    BOOST_TEST(answer.detail == "expected a ServerHello, got handshake type 11");
}

BOOST_AUTO_TEST_CASE(malformed_server_hello_is_unknown_with_the_parser_error) {
    wire::ByteWriter message;
    message.u8(2);
    message.prefixed(3, [](wire::ByteWriter& body) {
        body.bytes(vector_input("server_hello.vec", "tls12_openssl"));
        body.u8(0);  // one byte more than a ServerHello holds
    });
    const auto answer = decide(ProtocolVersion::tls1_2, record(22, message.take()));
    BOOST_TEST((answer.verdict == ProbeVerdict::unknown));
    BOOST_TEST(answer.detail == "malformed ServerHello: 1 byte left over");
}
