#pragma once
// Runs the version probes of one check: one connection per probe, at most `max_connections`
// open at once, all under one deadline. Implicit TLS runs every probe in one poll() loop; a probe
// that must first go through a STARTTLS dialog gets a worker thread.
//
// A probe whose connection the server closed, reset or refused before any byte of an answer is
// tried once more, alone, after the others: daemons that cap connections per client address
// (Courier's MAXPERIP, ngIRCd's MaxConnectionsIP, xinetd's per_source) close the surplus ones
// without a word, and that close says nothing about the version.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "net/deadline.hpp"
#include "net/error.hpp"
#include "net/resolve.hpp"
#include "net/socket.hpp"
#include "tls/probe_answer.hpp"
#include "tls/protocol_version.hpp"

namespace tls_checks::tls {

// The smallest per-address caps in common daemons are Courier's MAXPERIP=4, which counts the
// connection being accepted, and ngIRCd's MaxConnectionsIP=5. A daemon releases a slot only when
// it has noticed our close (and reaped the child serving it), which lags the close by a
// scheduling round; 3 leaves that one slot of slack below 4. Six probes then cost two round
// trips instead of one.
inline constexpr std::size_t default_max_connections = 3;
inline constexpr std::size_t max_max_connections = 64;

struct ProbeRequest {
    ProtocolVersion version;
    std::vector<std::uint8_t> hello;  // first flight, from build_client_hello()
};

struct ProbeResult {
    ProtocolVersion version;
    ProbeAnswer answer;                       // verdict and detail
    bool timed_out = false;                   // the deadline ended it (answer is unknown)
    std::optional<net::NetError> connect_error;  // set when the connection itself failed
    bool connected = false;                   // a TCP connection to the server was established
    bool preamble_failed = false;             // the STARTTLS dialog before the hello failed
    std::size_t connections = 0;              // TCP connections this probe opened (2 when retried)
    bool retried = false;                     // the answer is from the retry alone
};

// Runs before the hello on each connected socket (the STARTTLS dialog); false when it failed.
// Called from several threads at once, each with its own probe index; a retried probe calls it
// again with the same index, after every other probe has finished.
using Preamble = std::function<bool(std::size_t probe, net::Socket& socket, const net::Deadline& deadline)>;

// Results in the order of `requests`. Never blocks past the deadline. Probes start in order,
// `max_connections` (1..max_max_connections) at a time, the next as soon as one finishes.
// `connected`: a connection to `endpoint` already open (the one Happy Eyeballs chose among the
// addresses of a name), which the first probe uses instead of opening one.
std::vector<ProbeResult> run_probes(const net::Endpoint& endpoint, const std::vector<ProbeRequest>& requests,
                                    const net::Deadline& deadline,
                                    std::size_t max_connections = default_max_connections,
                                    std::optional<net::Socket> connected = std::nullopt);

// The same when every probe must first go through a dialog: `max_connections` worker threads,
// each running one probe at a time, blocking against the shared deadline (the dialogs are
// sequential conversations).
std::vector<ProbeResult> run_probes_with_preamble(const net::Endpoint& endpoint, const std::vector<ProbeRequest>& requests,
                                                  const Preamble& preamble, const net::Deadline& deadline,
                                                  std::size_t max_connections = default_max_connections,
                                                  std::optional<net::Socket> connected = std::nullopt);

}  // namespace tls_checks::tls
