#pragma once
// Name resolution: every A and AAAA address of a name, bounded by the run's deadline.

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.hpp"
#include "net/deadline.hpp"
#include "net/error.hpp"

namespace tls_checks::net {

enum class AddressFamily { any, ipv4, ipv6 };

struct Endpoint {
    sockaddr_storage address{};
    socklen_t length = 0;
    int family = 0;
    std::string text;  // "192.0.2.1:443" or "[2001:db8::1]:443"
};

// True when `text` is a literal IPv4 or IPv6 address (no name lookup needed).
bool is_ip_literal(std::string_view text) noexcept;

// Resolves `host` (a name or a literal) for TCP on `port`. getaddrinfo() cannot be interrupted,
// so a lookup that outlives the deadline is abandoned to a helper thread and reported as timed out.
Expected<std::vector<Endpoint>, NetError> resolve(const std::string& host, std::uint16_t port,
                                                  AddressFamily family, const Deadline& deadline);

// "host:port", with IPv6 literals bracketed.
std::string host_port_text(std::string_view host, std::uint16_t port);

}  // namespace tls_checks::net
