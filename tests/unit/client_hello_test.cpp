// The hand-built hellos: what each carries, decoded again with the wire reader.

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>
#include <vector>

#include "tls/client_hello.hpp"
#include "wire/byte_reader.hpp"

using namespace tls_checks;
using tls::ProtocolVersion;

namespace {

struct DecodedHello {
    std::uint16_t record_version = 0;
    std::uint16_t client_version = 0;
    std::size_t message_size = 0;  // handshake message: header + body
    std::size_t session_id_size = 0;
    std::vector<std::uint16_t> suites;
    std::vector<std::pair<std::uint16_t, std::vector<std::uint8_t>>> extensions;

    [[nodiscard]] const std::vector<std::uint8_t>* extension(std::uint16_t type) const {
        for (const auto& [t, data] : extensions) {
            if (t == type) return &data;
        }
        return nullptr;
    }
};

DecodedHello decode(const std::vector<std::uint8_t>& bytes) {
    DecodedHello hello;
    wire::ByteReader record(bytes, "record");
    std::uint8_t type = 0;
    wire::ByteReader fragment;
    BOOST_REQUIRE(record.read_u8(type) && record.read_u16(hello.record_version) &&
                  record.read_vector(2, 1, 1u << 14u, fragment, "fragment") && record.expect_empty());
    BOOST_REQUIRE(type == 22);
    hello.message_size = fragment.remaining();
    std::uint8_t message_type = 0;
    wire::ByteReader body;
    BOOST_REQUIRE(fragment.read_u8(message_type) && fragment.read_vector(3, 0, 0xFFFFFF, body, "body") &&
                  fragment.expect_empty());
    BOOST_REQUIRE(message_type == 1);
    std::span<const std::uint8_t> random;
    wire::ByteReader session_id;
    wire::ByteReader suites;
    wire::ByteReader compression;
    BOOST_REQUIRE(body.read_u16(hello.client_version) && body.read_bytes(32, random) &&
                  body.read_vector(1, 0, 32, session_id, "sid") && body.read_vector(2, 2, 0xFFFE, suites, "suites") &&
                  body.read_vector(1, 1, 255, compression, "compression"));
    hello.session_id_size = session_id.remaining();
    while (!suites.empty()) {
        std::uint16_t suite = 0;
        BOOST_REQUIRE(suites.read_u16(suite));
        hello.suites.push_back(suite);
    }
    if (body.empty()) return hello;
    wire::ByteReader extensions;
    BOOST_REQUIRE(body.read_vector(2, 0, 0xFFFF, extensions, "extensions") && body.expect_empty());
    while (!extensions.empty()) {
        std::uint16_t ext_type = 0;
        wire::ByteReader data;
        BOOST_REQUIRE(extensions.read_u16(ext_type) && extensions.read_vector(2, 0, 0xFFFF, data, "ext"));
        hello.extensions.emplace_back(ext_type, std::vector<std::uint8_t>(data.rest().begin(), data.rest().end()));
    }
    return hello;
}

tls::HelloOptions options_with_sni() {
    tls::HelloOptions options;
    options.server_name = "www.example.org";
    options.key_share.fill(0x42);
    return options;
}

bool offers(const DecodedHello& hello, std::uint16_t suite) {
    return std::find(hello.suites.begin(), hello.suites.end(), suite) != hello.suites.end();
}

}  // namespace

BOOST_AUTO_TEST_CASE(record_version_is_0x0301_except_for_sslv3) {
    for (const auto version : {ProtocolVersion::tls1_0, ProtocolVersion::tls1_1, ProtocolVersion::tls1_2, ProtocolVersion::tls1_3}) {
        BOOST_TEST(decode(tls::build_client_hello(version, options_with_sni())).record_version == 0x0301);
    }
    BOOST_TEST(decode(tls::build_client_hello(ProtocolVersion::sslv3, options_with_sni())).record_version == 0x0300);
}

BOOST_AUTO_TEST_CASE(client_version_is_the_probed_one_and_tls13_uses_supported_versions) {
    BOOST_TEST(decode(tls::build_client_hello(ProtocolVersion::sslv3, {})).client_version == 0x0300);
    BOOST_TEST(decode(tls::build_client_hello(ProtocolVersion::tls1_0, {})).client_version == 0x0301);
    BOOST_TEST(decode(tls::build_client_hello(ProtocolVersion::tls1_1, {})).client_version == 0x0302);
    BOOST_TEST(decode(tls::build_client_hello(ProtocolVersion::tls1_2, {})).client_version == 0x0303);
    const auto tls13 = decode(tls::build_client_hello(ProtocolVersion::tls1_3, options_with_sni()));
    BOOST_TEST(tls13.client_version == 0x0303);
    BOOST_REQUIRE(tls13.extension(43) != nullptr);
    BOOST_TEST((*tls13.extension(43) == std::vector<std::uint8_t>{2, 0x03, 0x04}));
    BOOST_REQUIRE(tls13.extension(51) != nullptr);  // key_share: one X25519 share of 32 bytes
    BOOST_TEST(tls13.extension(51)->size() == 2U + 2 + 2 + 32);
    BOOST_TEST((*tls13.extension(45) == std::vector<std::uint8_t>{1, 1}));
    BOOST_TEST(tls13.session_id_size == 32U);
    BOOST_TEST(tls13.suites == (std::vector<std::uint16_t>{0x1301, 0x1302, 0x1303, 0x1304, 0x1305}),
               boost::test_tools::per_element());
}

std::vector<std::uint16_t> u16_list(const std::vector<std::uint8_t>& data) {
    wire::ByteReader reader(data, "list");
    wire::ByteReader list;
    BOOST_REQUIRE(reader.read_vector(2, 2, 0xFFFE, list, "list") && reader.expect_empty());
    std::vector<std::uint16_t> out;
    while (!list.empty()) {
        std::uint16_t value = 0;
        BOOST_REQUIRE(list.read_u16(value));
        out.push_back(value);
    }
    return out;
}

BOOST_AUTO_TEST_CASE(tls13_hello_lists_the_ml_kem_hybrids_first_and_shares_only_x25519) {
    const auto hello = decode(tls::build_client_hello(ProtocolVersion::tls1_3, options_with_sni()));
    BOOST_REQUIRE(hello.extension(10) != nullptr);
    const auto groups = u16_list(*hello.extension(10));
    BOOST_TEST(groups == tls::offered_groups(ProtocolVersion::tls1_3), boost::test_tools::per_element());
    BOOST_REQUIRE(groups.size() > 4U);
    BOOST_TEST((std::vector<std::uint16_t>(groups.begin(), groups.begin() + 4) ==
                std::vector<std::uint16_t>{0x11EC, 0x11EB, 0x11ED, 0x001D}));
    const auto& share = *hello.extension(51);  // client_shares<2..>: one KeyShareEntry
    BOOST_TEST((std::vector<std::uint8_t>(share.begin(), share.begin() + 6) ==
                std::vector<std::uint8_t>{0x00, 0x24, 0x00, 0x1D, 0x00, 0x20}));
    BOOST_TEST(std::vector<std::uint8_t>(share.begin() + 6, share.end()) == std::vector<std::uint8_t>(32, 0x42),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(hybrid_groups_are_offered_for_tls13_only) {
    for (const auto version : {ProtocolVersion::tls1_0, ProtocolVersion::tls1_1, ProtocolVersion::tls1_2}) {
        const auto groups = u16_list(*decode(tls::build_client_hello(version, options_with_sni())).extension(10));
        BOOST_TEST(std::none_of(groups.begin(), groups.end(), tls::is_post_quantum_hybrid));
    }
}

BOOST_AUTO_TEST_CASE(group_names_follow_the_iana_registry) {
    BOOST_TEST(tls::named_group_name(0x11EC) == "X25519MLKEM768");
    BOOST_TEST(tls::named_group_name(0x11EB) == "SecP256r1MLKEM768");
    BOOST_TEST(tls::named_group_name(0x11ED) == "SecP384r1MLKEM1024");
    BOOST_TEST(tls::named_group_name(0x001D) == "x25519");
    BOOST_TEST(tls::named_group_name(0x0017) == "secp256r1");
    BOOST_TEST(tls::named_group_name(0x6399) == "group 0x6399");
    BOOST_TEST(tls::is_post_quantum_hybrid(0x11EC));
    BOOST_TEST(!tls::is_post_quantum_hybrid(0x001D));
}

BOOST_AUTO_TEST_CASE(sslv3_hello_carries_no_extensions) {
    const auto hello = decode(tls::build_client_hello(ProtocolVersion::sslv3, options_with_sni()));
    BOOST_TEST(hello.extensions.empty());
}

BOOST_AUTO_TEST_CASE(tls_hellos_carry_sni_groups_and_point_formats_and_tls12_signature_algorithms) {
    for (const auto version : {ProtocolVersion::tls1_0, ProtocolVersion::tls1_1, ProtocolVersion::tls1_2}) {
        const auto hello = decode(tls::build_client_hello(version, options_with_sni()));
        BOOST_REQUIRE(hello.extension(0) != nullptr);
        const auto& sni = *hello.extension(0);
        BOOST_TEST(std::string(sni.begin() + 5, sni.end()) == "www.example.org");
        BOOST_TEST(hello.extension(10) != nullptr);
        BOOST_TEST(hello.extension(11) != nullptr);
        BOOST_TEST((hello.extension(13) != nullptr) == (version == ProtocolVersion::tls1_2));
    }
    BOOST_TEST(decode(tls::build_client_hello(ProtocolVersion::tls1_2, {})).extension(0) == nullptr);
}

BOOST_AUTO_TEST_CASE(broad_cipher_lists_per_version) {
    const auto tls10 = decode(tls::build_client_hello(ProtocolVersion::tls1_0, {}));
    const auto tls12 = decode(tls::build_client_hello(ProtocolVersion::tls1_2, {}));
    BOOST_TEST(tls10.suites.size() > 60U);
    BOOST_TEST(offers(tls10, 0x002F));   // TLS_RSA_WITH_AES_128_CBC_SHA
    BOOST_TEST(offers(tls10, 0x000A));   // 3DES
    BOOST_TEST(offers(tls10, 0x0005));   // RC4
    BOOST_TEST(!offers(tls10, 0xC02F));  // GCM is TLS 1.2 only
    BOOST_TEST(offers(tls12, 0xC02F));
    BOOST_TEST(offers(tls12, 0xCCA8));
    BOOST_TEST(offers(tls12, 0x00FF));   // renegotiation SCSV
    BOOST_TEST(!offers(tls12, tls::tls_fallback_scsv));
}

BOOST_AUTO_TEST_CASE(fallback_scsv_is_added_on_request) {
    auto options = options_with_sni();
    options.fallback_scsv = true;
    BOOST_TEST(offers(decode(tls::build_client_hello(ProtocolVersion::tls1_1, options)), tls::tls_fallback_scsv));
}

BOOST_AUTO_TEST_CASE(hello_length_avoids_256_to_511_and_never_ends_with_an_empty_extension) {
    // Server names of every length move the hello across the 256..511 window.
    for (std::size_t length = 1; length <= 250; ++length) {
        for (const auto version : {ProtocolVersion::tls1_0, ProtocolVersion::tls1_2, ProtocolVersion::tls1_3}) {
            tls::HelloOptions options;
            options.server_name = std::string(length, 'a');
            const auto hello = decode(tls::build_client_hello(version, options));
            BOOST_TEST_INFO("name length " << length << ", version " << static_cast<int>(version));
            BOOST_TEST(!(hello.message_size >= 256 && hello.message_size < 512));
            BOOST_TEST(!hello.extensions.back().second.empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(sslv2_client_hello_has_a_two_byte_header_and_the_cipher_kinds) {
    tls::HelloOptions options;
    options.random.fill(7);
    const auto bytes = tls::build_client_hello(ProtocolVersion::sslv2, options);
    wire::ByteReader reader(bytes, "sslv2");
    std::uint16_t header = 0;
    std::uint8_t type = 0;
    std::uint16_t version = 0;
    std::uint16_t specs = 0;
    std::uint16_t session = 0;
    std::uint16_t challenge = 0;
    BOOST_REQUIRE(reader.read_u16(header) && reader.read_u8(type) && reader.read_u16(version) && reader.read_u16(specs) &&
                  reader.read_u16(session) && reader.read_u16(challenge));
    BOOST_TEST((header & 0x8000) != 0);
    BOOST_TEST((header & 0x7FFF) == bytes.size() - 2);
    BOOST_TEST(type == 1);
    BOOST_TEST(version == 0x0002);
    BOOST_TEST(specs == 21);  // seven 3-byte cipher kinds
    BOOST_TEST(session == 0);
    BOOST_TEST(challenge == 16);
    BOOST_TEST((reader.skip(specs) && reader.skip(challenge) && reader.expect_empty()));
}

BOOST_AUTO_TEST_CASE(random_hello_options_differ_between_calls) {
    BOOST_TEST((tls::random_hello_options().random != tls::random_hello_options().random));
}
