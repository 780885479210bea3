#pragma once
// Where a check connects: the name the user gave, an optional address that overrides its
// resolution, a port and an address family.

#include <cstdint>
#include <optional>
#include <string>

#include "net/resolve.hpp"

namespace tls_checks::net {

struct Target {
    std::string hostname;
    std::optional<std::string> address;
    std::uint16_t port = 0;
    AddressFamily family = AddressFamily::any;

    // "host:port", the address shown in every message about this target.
    [[nodiscard]] std::string display() const { return host_port_text(hostname, port); }
};

}  // namespace tls_checks::net
