// The handshake's group list survives names this OpenSSL build does not have (FIPS, RHEL and
// Fedora builds lack secp192r1, secp224r1 or X448): SSL_CTX_set1_groups_list() alone would
// refuse the whole list and every handshake would fail.
//
// The deadline holds inside OpenSSL: over a socketpair, a server that answers the ClientHello
// with an endless stream of empty HelloRequests (with or without a ServerHello first) keeps one
// SSL_connect() call reading for as long as bytes arrive; the handshake still ends, refused as
// too large or at the deadline. A real handshake and a TlsStream after it still work, and a
// TlsStream read is bounded the same way against a server that floods post-handshake messages.

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "net/line_reader.hpp"
#include "tls/deadline_bio.hpp"
#include "tls/handshake.hpp"
#include "tls/ossl.hpp"
#include "tls/tls_stream.hpp"

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

namespace {

using tls_checks::net::Deadline;
using tls_checks::net::LineReader;
using tls_checks::net::NetErrorKind;
using tls_checks::net::Socket;
using Seconds = std::chrono::duration<double>;

// A connected pair: ours a non-blocking net::Socket as after connect_any(), the server's end
// blocking, served by a thread. The server's end is closed after ours, so that a server thread
// blocked in send() gets EPIPE and ends.
class Link {
public:
    Link() {
        // As run_plugin() does: the test servers use OpenSSL's socket BIO, whose write() to a
        // closed peer would raise SIGPIPE.
        (void)std::signal(SIGPIPE, SIG_IGN);
        std::array<int, 2> fds{-1, -1};
        BOOST_REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds.data()) == 0);
        BOOST_REQUIRE(::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK) == 0);
        client = Socket(fds[0]);
        client.peer_text = "test-server:443";
        server_fd = fds[1];
    }
    Link(const Link&) = delete;
    Link& operator=(const Link&) = delete;
    ~Link() { finish(); }

    template <class F>
    void serve(F&& body) {
        server = std::thread([this, body = std::forward<F>(body)]() mutable { body(server_fd); });
    }
    // Closes our end, waits for the server thread, closes its end.
    void finish() {
        client = Socket();
        if (server.joinable()) server.join();
        if (server_fd >= 0) ::close(server_fd);
        server_fd = -1;
    }

    Socket client;
    int server_fd = -1;

private:
    std::thread server;
};

bool send_all(int fd, const std::vector<unsigned char>& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t sent = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
        if (sent <= 0) return false;
        done += static_cast<std::size_t>(sent);
    }
    return true;
}

// Reads one TLS record (the ClientHello) from a blocking descriptor.
bool read_record(int fd) {
    std::vector<unsigned char> data;
    std::array<unsigned char, 4096> chunk{};
    while (data.size() < 5 || data.size() < 5 + static_cast<std::size_t>(data[3] << 8 | data[4])) {
        const ssize_t got = ::recv(fd, chunk.data(), chunk.size(), 0);
        if (got <= 0) return false;
        data.insert(data.end(), chunk.begin(), chunk.begin() + got);
    }
    return true;
}

// One empty HelloRequest (type 0, length 0) per TLS 1.2 handshake record, 64 KiB at a time.
std::vector<unsigned char> hello_request_flood() {
    constexpr std::array<unsigned char, 9> record{22, 3, 3, 0, 4, 0, 0, 0, 0};
    std::vector<unsigned char> bytes;
    while (bytes.size() + record.size() <= 65536) bytes.insert(bytes.end(), record.begin(), record.end());
    return bytes;
}

// A TLS 1.2 ServerHello choosing ECDHE-RSA-AES128-GCM-SHA256, no extensions: the client then
// waits for the Certificate, ignoring HelloRequests just the same.
std::vector<unsigned char> tls12_server_hello() {
    std::vector<unsigned char> body{0x03, 0x03};
    for (unsigned char i = 1; i <= 32; ++i) body.push_back(i);  // random, no downgrade sentinel
    body.insert(body.end(), {0x00, 0xc0, 0x2f, 0x00});           // no session id, suite, null compression
    std::vector<unsigned char> record{22, 3, 3, 0, static_cast<unsigned char>(body.size() + 4), 0x02, 0, 0,
                                      static_cast<unsigned char>(body.size())};
    record.insert(record.end(), body.begin(), body.end());
    return record;
}

// The hostile server: reads the ClientHello, optionally answers with a ServerHello, then sends
// HelloRequests until the client goes away.
auto flooding_server(bool server_hello_first) {
    return [server_hello_first](int fd) {
        if (!read_record(fd)) return;
        if (server_hello_first && !send_all(fd, tls12_server_hello())) return;
        const auto flood = hello_request_flood();
        while (send_all(fd, flood)) {
        }
    };
}

struct Identity {
    EvpPkeyPtr key;
    X509Ptr certificate;
};

// A self-signed Ed25519 certificate for CN=localhost, made in memory.
Identity self_signed() {
    Identity identity;
    identity.key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    BOOST_REQUIRE(identity.key);
    identity.certificate.reset(X509_new());
    X509* certificate = identity.certificate.get();
    BOOST_REQUIRE(certificate);
    BOOST_REQUIRE(X509_set_version(certificate, 2) == 1);
    BOOST_REQUIRE(ASN1_INTEGER_set(X509_get_serialNumber(certificate), 1) == 1);
    BOOST_REQUIRE(X509_gmtime_adj(X509_getm_notBefore(certificate), -3600) != nullptr);
    BOOST_REQUIRE(X509_gmtime_adj(X509_getm_notAfter(certificate), 3600) != nullptr);
    X509_NAME* name = X509_get_subject_name(certificate);
    const std::string common_name = "localhost";
    BOOST_REQUIRE(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0) == 1);
    BOOST_REQUIRE(X509_set_issuer_name(certificate, name) == 1);
    BOOST_REQUIRE(X509_set_pubkey(certificate, identity.key.get()) == 1);
    BOOST_REQUIRE(X509_sign(certificate, identity.key.get(), nullptr) > 0);
    return identity;
}

SslCtxPtr server_context(const Identity& identity, int max_version) {
    init_openssl();
    SslCtxPtr context(SSL_CTX_new(TLS_server_method()));
    BOOST_REQUIRE(context);
    BOOST_REQUIRE(SSL_CTX_use_certificate(context.get(), identity.certificate.get()) == 1);
    BOOST_REQUIRE(SSL_CTX_use_PrivateKey(context.get(), identity.key.get()) == 1);
    BOOST_REQUIRE(SSL_CTX_set_max_proto_version(context.get(), max_version) == 1);
    SSL_CTX_set_num_tickets(context.get(), 0);
    return context;
}

// What a real server does after SSL_accept() on its blocking end.
enum class After { greet, flood_key_updates };

auto real_server(SSL_CTX* context, After after, std::atomic<bool>& accepted, std::string& heard) {
    return [context, after, &accepted, &heard](int fd) {
        SslPtr ssl(SSL_new(context));
        if (!ssl || SSL_set_fd(ssl.get(), fd) != 1 || SSL_accept(ssl.get()) != 1) return;
        accepted = true;
        if (after == After::greet) {
            const std::string greeting = "220 hello over TLS\r\n";
            if (SSL_write(ssl.get(), greeting.data(), static_cast<int>(greeting.size())) <= 0) return;
            std::array<char, 256> buffer{};
            const int got = SSL_read(ssl.get(), buffer.data(), static_cast<int>(buffer.size()));
            if (got > 0) heard.assign(buffer.data(), static_cast<std::size_t>(got));
            (void)SSL_shutdown(ssl.get());
            return;
        }
        // TLS 1.3 KeyUpdates, each processed by the client inside SSL_read, none of them data.
        while (SSL_key_update(ssl.get(), SSL_KEY_UPDATE_NOT_REQUESTED) == 1 && SSL_do_handshake(ssl.get()) == 1) {
        }
    };
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return Seconds(std::chrono::steady_clock::now() - start).count();
}

constexpr std::size_t unlimited = std::numeric_limits<std::size_t>::max();

// The error's message, for a BOOST_REQUIRE_MESSAGE (which evaluates it whatever the outcome).
template <class T, class E>
std::string why(const tls_checks::Expected<T, E>& result) {
    return result ? std::string() : result.error().message;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_hello_request_flood_is_refused_as_too_large_long_before_the_deadline) {
    for (const bool server_hello_first : {false, true}) {
        BOOST_TEST_CONTEXT("ServerHello first: " << server_hello_first) {
            Link link;
            link.serve(flooding_server(server_hello_first));
            const auto start = std::chrono::steady_clock::now();
            const auto result = handshake(link.client, HandshakeOptions{}, Deadline::after(Seconds(5)));
            const double elapsed = seconds_since(start);
            BOOST_REQUIRE(!result.has_value());
            BOOST_TEST((result.error().kind == TlsErrorKind::too_large));
            BOOST_TEST(result.error().message ==
                       "TLS handshake with test-server:443 exceeded 256 KiB: the server kept sending handshake data");
            BOOST_TEST(elapsed < 2.0);  // milliseconds in practice; far from the 5 s deadline
        }
    }
}

BOOST_AUTO_TEST_CASE(without_a_size_limit_the_deadline_ends_the_flood_inside_openssl) {
    for (const bool server_hello_first : {false, true}) {
        BOOST_TEST_CONTEXT("ServerHello first: " << server_hello_first) {
            Link link;
            link.serve(flooding_server(server_hello_first));
            HandshakeOptions options;
            options.max_handshake_bytes = unlimited;
            const auto start = std::chrono::steady_clock::now();
            const auto result = handshake(link.client, options, Deadline::after(Seconds(1)));
            const double elapsed = seconds_since(start);
            BOOST_REQUIRE(!result.has_value());
            BOOST_TEST((result.error().kind == TlsErrorKind::timed_out));
            BOOST_TEST(result.error().message.starts_with("TLS handshake with test-server:443 timed out after the server sent "),
                       result.error().message);
            BOOST_TEST(result.error().message.ends_with(" without finishing it"), result.error().message);
            BOOST_TEST(elapsed >= 1.0);
            BOOST_TEST(elapsed < 1.2);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_deadline_already_passed_ends_the_handshake_before_any_byte) {
    Link link;
    const auto result = handshake(link.client, HandshakeOptions{},
                                  Deadline(Deadline::Clock::now() - std::chrono::milliseconds(1)));
    BOOST_REQUIRE(!result.has_value());
    BOOST_TEST((result.error().kind == TlsErrorKind::timed_out));
    BOOST_TEST(result.error().message == "TLS handshake with test-server:443 timed out");
}

BOOST_AUTO_TEST_CASE(a_real_handshake_and_a_tls_stream_after_it_still_work) {
    const Identity identity = self_signed();
    for (const int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
        BOOST_TEST_CONTEXT("server up to " << std::hex << version) {
            const SslCtxPtr context = server_context(identity, version);
            std::atomic<bool> accepted{false};
            std::string heard;
            Link link;
            link.serve(real_server(context.get(), After::greet, accepted, heard));
            const Deadline deadline = Deadline::after(Seconds(10));
            auto session = handshake(link.client, HandshakeOptions{}, deadline);
            BOOST_REQUIRE_MESSAGE(session.has_value(), why(session));
            BOOST_TEST(session->protocol == (version == TLS1_3_VERSION ? "TLSv1.3" : "TLSv1.2"));
            BOOST_TEST(session->peer_chain.size() == 1U);
            BOOST_TEST(session->completed);
            // The handshake read well under the limit: a few hundred bytes.
            const auto status = deadline_bio_status(SSL_get_rbio(session->connection.get()));
            BOOST_TEST((status.stop == BioStop::none));
            BOOST_TEST(status.bytes_read > 0U);
            BOOST_TEST(status.bytes_read < 4096U);

            TlsStream stream(*session, link.client);
            LineReader reader(stream);
            auto line = reader.read_line(deadline);
            BOOST_REQUIRE_MESSAGE(line.has_value(), why(line));
            BOOST_TEST(*line == "220 hello over TLS");
            const std::string quit = "QUIT\r\n";
            auto written = stream.write_all(std::span(reinterpret_cast<const unsigned char*>(quit.data()), quit.size()), deadline);
            BOOST_REQUIRE_MESSAGE(written.has_value(), why(written));
            session->close();
            link.finish();
            BOOST_TEST(accepted.load());
            BOOST_TEST(heard == quit);
        }
    }
}

BOOST_AUTO_TEST_CASE(the_size_limit_counts_every_byte_the_handshake_reads) {
    const Identity identity = self_signed();
    const SslCtxPtr context = server_context(identity, TLS1_3_VERSION);
    std::atomic<bool> accepted{false};
    std::string heard;
    Link link;
    link.serve(real_server(context.get(), After::greet, accepted, heard));
    HandshakeOptions options;
    options.max_handshake_bytes = 100;  // less than any ServerHello flight
    const auto result = handshake(link.client, options, Deadline::after(Seconds(10)));
    BOOST_REQUIRE(!result.has_value());
    BOOST_TEST((result.error().kind == TlsErrorKind::too_large));
    BOOST_TEST(result.error().message.find("exceeded 100 bytes") != std::string::npos, result.error().message);
}

BOOST_AUTO_TEST_CASE(a_tls_stream_read_is_bounded_against_a_flood_of_post_handshake_messages) {
    const Identity identity = self_signed();
    const SslCtxPtr context = server_context(identity, TLS1_3_VERSION);
    std::atomic<bool> accepted{false};
    std::string heard;
    Link link;
    link.serve(real_server(context.get(), After::flood_key_updates, accepted, heard));
    auto session = handshake(link.client, HandshakeOptions{}, Deadline::after(Seconds(10)));
    BOOST_REQUIRE_MESSAGE(session.has_value(), why(session));
    TlsStream stream(*session, link.client);
    std::array<unsigned char, 1024> buffer{};
    const auto start = std::chrono::steady_clock::now();
    const auto got = stream.read_some(buffer, Deadline::after(Seconds(1)));
    const double elapsed = seconds_since(start);
    BOOST_REQUIRE(!got.has_value());
    BOOST_TEST_MESSAGE("after " << elapsed << " s: " << got.error().message);
    // The budget when the server is quick enough, else the deadline: never a hang.
    const auto kind = got.error().kind;
    BOOST_TEST((kind == NetErrorKind::too_much_data || kind == NetErrorKind::timed_out), got.error().message);
    if (kind == NetErrorKind::too_much_data)
        BOOST_TEST(got.error().message == "TLS with test-server:443: more than 256 KiB without application data");
    BOOST_TEST(elapsed < 1.2);
}
