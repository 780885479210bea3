#pragma once
// Glue used only by plugins/: turns the shared options into a target, opens the connection,
// runs the STARTTLS dialog when there is one, completes the TLS handshake, and maps failures to
// states. It sits above every layer of common/ and is the one place where a network error
// becomes a monitoring state.

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "net/deadline.hpp"
#include "net/socket.hpp"
#include "net/resolve.hpp"
#include "net/target.hpp"
#include "plugin/options.hpp"
#include "plugin/report.hpp"
#include "plugin/status.hpp"
#include "starttls/dialog.hpp"
#include "starttls/protocol.hpp"
#include "tls/handshake.hpp"

namespace tls_checks::runner {

net::Target target_from(const plugin::ConnectionOptions& options);

// The run's deadline, from -t.
net::Deadline deadline_from(const plugin::ConnectionOptions& options);

// What the handshake showed of client certificates: "server requires a client certificate ..."
// when it ended the handshake for want of one, a detail when it only asked.
void report_client_certificate_request(plugin::Report& report, const tls::TlsSession& session,
                                       const plugin::ConnectionOptions& options);

// The name sent as SNI: --sni, else -H unless -H is an IP literal (RFC 6066 forbids those).
std::optional<std::string> server_name_for(const plugin::ConnectionOptions& options);

// --starttls made concrete: a protocol, or nullopt for implicit TLS ("none", or "auto" on a port
// that is no STARTTLS port). An unknown name is an error message.
Expected<std::optional<starttls::Protocol>, std::string> starttls_protocol(const plugin::ConnectionOptions& options);

// With --starttls PROTO and no -p, the protocol's default port ("--starttls smtp" checks port 25).
plugin::ConnectionOptions with_protocol_port(plugin::ConnectionOptions options);

starttls::DialogOptions dialog_options_from(const plugin::ConnectionOptions& options);

enum class Stage { resolve, connect, dialog, handshake };

struct Failure {
    plugin::State state;
    std::string message;                // names the protocol: "smtp: STARTTLS not offered (...)"
    Stage stage = Stage::connect;
    std::optional<starttls::DialogFailure> dialog_failure;  // set when stage == dialog
    std::string detail;                 // the same without the protocol name, for check_starttls
    std::vector<std::string> capabilities;  // what the server offered instead of STARTTLS
};

// CRITICAL for a network failure, the -t state when it was the deadline.
plugin::State state_for(const net::NetError& error, const plugin::ConnectionOptions& options);

// Every address of the target (the -I address when there is one).
Expected<std::vector<net::Endpoint>, Failure> resolve_target(const plugin::ConnectionOptions& options,
                                                             const net::Deadline& deadline);

// Runs the STARTTLS dialog on a connected socket; failures mapped to states (not offered,
// refused, protocol errors: CRITICAL; the deadline: the -t state).
Expected<starttls::DialogResult, Failure> run_dialog(starttls::Protocol protocol, net::Socket& socket,
                                                     const plugin::ConnectionOptions& options,
                                                     const net::Deadline& deadline);

struct Connection {
    net::Socket socket;
    net::Endpoint endpoint;  // the address connected to
    std::optional<starttls::DialogResult> dialog;  // when the connection went through STARTTLS
    tls::TlsSession session;
    std::chrono::steady_clock::time_point connected_at;
    std::chrono::steady_clock::time_point handshake_done_at;
};

// Connects to the first of `endpoints` to accept (Happy Eyeballs, net/connector.hpp), runs the
// STARTTLS dialog of `protocol` (if any) and completes a TLS handshake.
// With `dane`, the handshake also verifies those TLSA records (Connection.session.dane).
Expected<Connection, Failure> open_tls(const plugin::ConnectionOptions& options, std::optional<starttls::Protocol> protocol,
                                       std::span<const net::Endpoint> endpoints, const net::Deadline& deadline,
                                       const std::optional<tls::DaneRequest>& dane = std::nullopt);

}  // namespace tls_checks::runner
