#include "net/target.hpp"

namespace tls_checks::net {

Expected<Socket, NetError> connect_target(const Target& target, const Deadline& deadline) {
    auto endpoints = resolve(target.address.value_or(target.hostname), target.port, target.family, deadline);
    if (!endpoints) return unexpected(std::move(endpoints.error()));
    return connect_any(*endpoints, deadline);
}

}  // namespace tls_checks::net
