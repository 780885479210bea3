#pragma once
// Where a check connects: the name the user gave, an optional address that overrides its
// resolution, a port and an address family.

#include <cstdint>
#include <optional>
#include <string>

#include "base/expected.hpp"
#include "net/deadline.hpp"
#include "net/error.hpp"
#include "net/resolve.hpp"
#include "net/socket.hpp"

namespace tls_checks::net {

struct Target {
    std::string hostname;
    std::optional<std::string> address;
    std::uint16_t port = 0;
    AddressFamily family = AddressFamily::any;

    // "host:port", the address shown in every message about this target.
    [[nodiscard]] std::string display() const { return host_port_text(hostname, port); }
};

// Resolves the target (the -I address when there is one) and connects to the first address
// that accepts.
Expected<Socket, NetError> connect_target(const Target& target, const Deadline& deadline);

}  // namespace tls_checks::net
