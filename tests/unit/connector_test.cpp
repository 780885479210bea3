// The connection layer: RFC 8305 order, the first address to accept wins, a refusal starts the
// next attempt at once, and an address that fails is named in the error.

#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "net/connector.hpp"

using namespace tls_checks;
using namespace std::chrono_literals;

namespace {

net::Endpoint endpoint_v4(std::uint16_t port, const char* address = "127.0.0.1") {
    net::Endpoint endpoint;
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(port);
    inet_pton(AF_INET, address, &in.sin_addr);
    std::memcpy(&endpoint.address, &in, sizeof in);
    endpoint.length = sizeof in;
    endpoint.family = AF_INET;
    endpoint.text = net::host_port_text(address, port);
    return endpoint;
}

net::Endpoint endpoint_v6(std::uint16_t port) {
    net::Endpoint endpoint;
    sockaddr_in6 in{};
    in.sin6_family = AF_INET6;
    in.sin6_port = htons(port);
    in.sin6_addr = in6addr_loopback;
    std::memcpy(&endpoint.address, &in, sizeof in);
    endpoint.length = sizeof in;
    endpoint.family = AF_INET6;
    endpoint.text = net::host_port_text("::1", port);
    return endpoint;
}

// A listening socket on 127.0.0.1 and its port; connections queue in its backlog.
struct Listener {
    int fd = -1;
    std::uint16_t port = 0;
    Listener() {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in in{};
        in.sin_family = AF_INET;
        in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&in), sizeof in) == 0);
        BOOST_REQUIRE(::listen(fd, 8) == 0);
        socklen_t length = sizeof in;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&in), &length);
        port = ntohs(in.sin_port);
    }
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;
    ~Listener() { ::close(fd); }
};

// A port on 127.0.0.1 where nothing listens (bound and closed again).
std::uint16_t closed_port() {
    const Listener listener;
    return listener.port;
}

std::vector<std::string> texts(const std::vector<net::Endpoint>& endpoints) {
    std::vector<std::string> out;
    for (const auto& endpoint : endpoints) out.push_back(endpoint.text);
    return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(families_are_interleaved_starting_with_the_first_address_family) {
    const auto ordered = net::interleave_families(
        {endpoint_v6(1), endpoint_v6(2), endpoint_v6(3), endpoint_v4(4, "192.0.2.1"), endpoint_v4(5, "192.0.2.2")});
    const std::vector<std::string> expected{"[::1]:1", "192.0.2.1:4", "[::1]:2", "192.0.2.2:5", "[::1]:3"};
    BOOST_TEST(texts(ordered) == expected, boost::test_tools::per_element());
    const auto ipv4_first = net::interleave_families({endpoint_v4(1, "192.0.2.1"), endpoint_v6(2), endpoint_v6(3)});
    const std::vector<std::string> expected_v4{"192.0.2.1:1", "[::1]:2", "[::1]:3"};
    BOOST_TEST(texts(ipv4_first) == expected_v4, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_refused_address_starts_the_next_attempt_without_waiting_for_the_stagger) {
    const Listener listener;
    const std::vector<net::Endpoint> endpoints{endpoint_v4(closed_port()), endpoint_v4(listener.port)};
    const auto started = std::chrono::steady_clock::now();
    // A stagger far longer than the test may take: only "start the next when one fails" passes.
    auto connected = net::connect_first(endpoints, net::Deadline::after(20s), 10s);
    BOOST_REQUIRE(connected.has_value());
    BOOST_TEST(connected->index == 1U);
    BOOST_TEST(connected->socket.peer_text == endpoints[1].text);
    BOOST_TEST((std::chrono::steady_clock::now() - started < 5s));
}

BOOST_AUTO_TEST_CASE(the_first_address_to_accept_wins) {
    const Listener first;
    const Listener second;
    auto connected = net::connect_first(std::vector{endpoint_v4(first.port), endpoint_v4(second.port)},
                                        net::Deadline::after(5s));
    BOOST_REQUIRE(connected.has_value());
    BOOST_TEST(connected->index == 0U);
}

BOOST_AUTO_TEST_CASE(when_no_address_accepts_the_error_names_each_and_is_no_timeout) {
    const std::vector<net::Endpoint> endpoints{endpoint_v4(closed_port()), endpoint_v4(closed_port(), "127.0.0.2")};
    auto connected = net::connect_first(endpoints, net::Deadline::after(5s));
    BOOST_REQUIRE(!connected.has_value());
    BOOST_TEST((connected.error().kind == net::NetErrorKind::refused));
    BOOST_TEST(connected.error().message.find(endpoints[0].text) != std::string::npos);
    BOOST_TEST(connected.error().message.find(endpoints[1].text) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_single_refused_address_keeps_its_own_error) {
    const auto endpoint = endpoint_v4(closed_port());
    auto connected = net::connect_to(endpoint, net::Deadline::after(5s));
    BOOST_REQUIRE(!connected.has_value());
    BOOST_TEST(connected.error().message == "connect to " + endpoint.text + ": Connection refused");
}

BOOST_AUTO_TEST_CASE(an_expired_deadline_tries_nothing_and_is_a_timeout) {
    const Listener listener;
    auto connected = net::connect_to(endpoint_v4(listener.port), net::Deadline::after(-1s));
    BOOST_REQUIRE(!connected.has_value());
    BOOST_TEST((connected.error().kind == net::NetErrorKind::timed_out));
}

BOOST_AUTO_TEST_CASE(no_address_at_all_is_an_error_not_a_crash) {
    auto connected = net::connect_first(std::span<const net::Endpoint>{}, net::Deadline::after(1s));
    BOOST_REQUIRE(!connected.has_value());
    BOOST_TEST(connected.error().message == "no address to connect to");
}
