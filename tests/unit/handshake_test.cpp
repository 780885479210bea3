// The handshake's group list survives names this OpenSSL build does not have (FIPS, RHEL and
// Fedora builds lack secp192r1, secp224r1 or X448): SSL_CTX_set1_groups_list() alone would
// refuse the whole list and every handshake would fail.

#include <boost/test/unit_test.hpp>

#include <array>
#include <cstdint>
#include <vector>

#include "tls/handshake.hpp"
#include "tls/ossl.hpp"

using namespace tls_checks::tls;

namespace {

// The supported_groups (RFC 8446 4.2.7) of the ClientHello an SSL made from `context` sends,
// read back from a memory BIO: the one place OpenSSL shows a client's own group list.
std::vector<std::uint16_t> groups_offered(SSL_CTX* context) {
    SslPtr ssl(SSL_new(context));
    BOOST_REQUIRE(ssl);
    BIO* to_server = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl.get(), BIO_new(BIO_s_mem()), to_server);
    (void)SSL_connect(ssl.get());  // writes the ClientHello, then wants to read
    char* data = nullptr;
    const long length = BIO_get_mem_data(to_server, &data);
    const std::vector<std::uint8_t> hello(data, data + length);
    // Find extension 0x000a whose two length fields agree, and read its list.
    for (std::size_t i = 0; i + 6 <= hello.size(); ++i) {
        if (hello[i] != 0x00 || hello[i + 1] != 0x0a) continue;
        const std::size_t extension_length = static_cast<std::size_t>(hello[i + 2] << 8 | hello[i + 3]);
        const std::size_t list_length = static_cast<std::size_t>(hello[i + 4] << 8 | hello[i + 5]);
        if (list_length + 2 != extension_length || i + 6 + list_length > hello.size() || list_length % 2 != 0) continue;
        std::vector<std::uint16_t> groups;
        for (std::size_t j = 0; j < list_length; j += 2)
            groups.push_back(static_cast<std::uint16_t>(hello[i + 6 + j] << 8 | hello[i + 7 + j]));
        return groups;
    }
    BOOST_FAIL("no supported_groups extension in the ClientHello");
    return {};
}

SslCtxPtr client_context() {
    SslCtxPtr context(SSL_CTX_new(TLS_client_method()));
    BOOST_REQUIRE(context);
    SSL_CTX_set_security_level(context.get(), 0);  // as the handshake has it: secp192r1 is below level 1
    return context;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_handshake_groups_are_all_known_to_this_openssl) {
    auto context = client_context();
    const auto groups = groups_to_offer();
    BOOST_TEST(set_supported_groups(context.get(), groups));
    BOOST_TEST(groups_offered(context.get()).size() == groups.size());
    BOOST_TEST(groups_offered(context.get()).front() == 0x001d);  // x25519 first: its key share is sent
}

BOOST_AUTO_TEST_CASE(an_unknown_group_name_is_left_out_instead_of_refusing_the_list) {
    auto context = client_context();
    constexpr std::array<const char*, 4> names{"X25519", "no-such-group", "P-256", "secp999r1"};
    BOOST_TEST(set_supported_groups(context.get(), names));
    const std::vector<std::uint16_t> expected{0x001d, 0x0017};  // x25519, secp256r1, in that order
    BOOST_TEST(groups_offered(context.get()) == expected, boost::test_tools::per_element());
    BOOST_TEST(SSL_CTX_set1_groups_list(context.get(), "X25519:no-such-group:P-256") == 0);  // what it guards against
}

BOOST_AUTO_TEST_CASE(a_list_of_only_unknown_groups_fails) {
    auto context = client_context();
    constexpr std::array<const char*, 2> names{"no-such-group", "secp999r1"};
    BOOST_TEST(!set_supported_groups(context.get(), names));
}
