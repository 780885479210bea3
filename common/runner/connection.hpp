#pragma once
// Glue used only by plugins/: turns the shared options into a target, opens the connection
// (and, once STARTTLS lands, runs the dialog), and maps failures to states. It sits above every
// layer of common/ and is the one place where a network error becomes a monitoring state.

#include <string>
#include <vector>

#include "base/expected.hpp"
#include "net/deadline.hpp"
#include "net/socket.hpp"
#include "net/target.hpp"
#include "plugin/options.hpp"
#include "plugin/status.hpp"
#include "tls/handshake.hpp"

namespace tls_checks::runner {

net::Target target_from(const plugin::ConnectionOptions& options);

// The run's deadline, from -t.
net::Deadline deadline_from(const plugin::ConnectionOptions& options);

// The name sent as SNI: --sni, else -H unless -H is an IP literal (RFC 6066 forbids those).
std::optional<std::string> server_name_for(const plugin::ConnectionOptions& options);

struct Failure {
    plugin::State state;
    std::string message;
};

// CRITICAL for a network failure, the -t state when it was the deadline.
plugin::State state_for(const net::NetError& error, const plugin::ConnectionOptions& options);

// Every address of the target (the -I address when there is one).
Expected<std::vector<net::Endpoint>, Failure> resolve_target(const plugin::ConnectionOptions& options,
                                                             const net::Deadline& deadline);

// Checks that --starttls names something this build can do; the message says why not.
std::optional<std::string> unsupported_starttls(const plugin::ConnectionOptions& options);

// Connects and completes a TLS handshake (implicit TLS). Refused, unreachable, unresolvable:
// CRITICAL; out of time: the -t state.
Expected<tls::TlsSession, Failure> open_tls(const plugin::ConnectionOptions& options, net::Socket& socket,
                                            const net::Deadline& deadline);

}  // namespace tls_checks::runner
