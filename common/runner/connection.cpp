#include "runner/connection.hpp"

#include "net/resolve.hpp"

namespace tls_checks::runner {

using plugin::State;

net::Target target_from(const plugin::ConnectionOptions& options) {
    net::Target target;
    target.hostname = options.hostname;
    target.address = options.address;
    target.port = options.port;
    switch (options.ip_version) {
        case plugin::IpVersion::any: target.family = net::AddressFamily::any; break;
        case plugin::IpVersion::v4: target.family = net::AddressFamily::ipv4; break;
        case plugin::IpVersion::v6: target.family = net::AddressFamily::ipv6; break;
    }
    return target;
}

net::Deadline deadline_from(const plugin::ConnectionOptions& options) {
    return net::Deadline::after(std::chrono::duration<double>(options.timeout_seconds));
}

std::optional<std::string> server_name_for(const plugin::ConnectionOptions& options) {
    if (options.sni) return options.sni;
    if (net::is_ip_literal(options.hostname)) return std::nullopt;
    return options.hostname;
}

State state_for(const net::NetError& error, const plugin::ConnectionOptions& options) {
    return error.kind == net::NetErrorKind::timed_out ? options.timeout_state : State::critical;
}

Expected<std::vector<net::Endpoint>, Failure> resolve_target(const plugin::ConnectionOptions& options,
                                                             const net::Deadline& deadline) {
    const auto target = target_from(options);
    auto endpoints = net::resolve(target.address.value_or(target.hostname), target.port, target.family, deadline);
    if (!endpoints) return unexpected(Failure{state_for(endpoints.error(), options), endpoints.error().message});
    return std::move(*endpoints);
}

std::optional<std::string> unsupported_starttls(const plugin::ConnectionOptions& options) {
    if (options.starttls == "auto" || options.starttls == "none") return std::nullopt;
    return "--starttls " + options.starttls + " is not supported by this build (only auto and none)";
}

Expected<tls::TlsSession, Failure> open_tls(const plugin::ConnectionOptions& options, net::Socket& socket,
                                            const net::Deadline& deadline) {
    const auto target = target_from(options);
    auto connected = net::connect_target(target, deadline);
    if (!connected) {
        return unexpected(Failure{state_for(connected.error(), options), connected.error().message});
    }
    socket = std::move(*connected);
    tls::HandshakeOptions handshake_options;
    handshake_options.server_name = server_name_for(options);
    auto session = tls::handshake(socket, handshake_options, deadline);
    if (!session) {
        const auto& error = session.error();
        const State state = error.kind == tls::TlsErrorKind::timed_out ? options.timeout_state : State::critical;
        std::string message = error.message;
        if (error.kind == tls::TlsErrorKind::timed_out) {
            message += " (limit " + std::to_string(static_cast<int>(options.timeout_seconds + 0.5)) + " s)";
        }
        return unexpected(Failure{state, message});
    }
    return std::move(*session);
}

}  // namespace tls_checks::runner
