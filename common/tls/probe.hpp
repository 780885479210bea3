#pragma once
// Runs many version probes at once: one non-blocking connection per probe, all under one
// poll() loop and one deadline, so six probes cost about one round trip of wall time.

#include <cstdint>
#include <optional>
#include <vector>

#include "net/deadline.hpp"
#include "net/error.hpp"
#include "net/resolve.hpp"
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
};

// Results in the order of `requests`. Never blocks past the deadline.
std::vector<ProbeResult> run_probes(const net::Endpoint& endpoint, const std::vector<ProbeRequest>& requests,
                                    const net::Deadline& deadline);

}  // namespace tls_checks::tls
