#pragma once
// Runs many version probes at once: one non-blocking connection per probe, all under one
// poll() loop and one deadline, so six probes cost about one round trip of wall time.

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

struct ProbeRequest {
    ProtocolVersion version;
    std::vector<std::uint8_t> hello;  // first flight, from build_client_hello()
};

struct ProbeResult {
    ProtocolVersion version;
    ProbeAnswer answer;                       // verdict and detail
    bool timed_out = false;                   // the deadline ended it (answer is unknown)
    std::optional<net::NetError> connect_error;  // set when the connection itself failed
    bool preamble_failed = false;             // the STARTTLS dialog before the hello failed
};

// Runs before the hello on each connected socket (the STARTTLS dialog); false when it failed.
// Called from several threads at once, each with its own probe index.
using Preamble = std::function<bool(std::size_t probe, net::Socket& socket, const net::Deadline& deadline)>;

// Results in the order of `requests`. Never blocks past the deadline.
std::vector<ProbeResult> run_probes(const net::Endpoint& endpoint, const std::vector<ProbeRequest>& requests,
                                    const net::Deadline& deadline);

// The same when every probe must first go through a dialog: one thread per probe, each
// blocking against the shared deadline (the dialogs are sequential conversations).
std::vector<ProbeResult> run_probes_with_preamble(const net::Endpoint& endpoint, const std::vector<ProbeRequest>& requests,
                                                  const Preamble& preamble, const net::Deadline& deadline);

}  // namespace tls_checks::tls
