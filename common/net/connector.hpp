#pragma once
// The one way every plugin and every probe opens a TCP connection: Happy Eyeballs (RFC 8305)
// over the addresses of a name, bounded by the run's deadline.
//
// Addresses are tried in RFC 8305 section 4 order (the resolver's RFC 6724 order with the
// address families interleaved), each attempt started `stagger` after the one before or as soon
// as it fails; the first to connect wins and the others are closed. Each attempt has its share
// of what is left of the deadline (section 5: a blackholed address may not use up the time of the
// ones after it), the last one all of it.

#include <chrono>
#include <cstddef>
#include <span>
#include <vector>

#include "base/expected.hpp"
#include "net/deadline.hpp"
#include "net/error.hpp"
#include "net/resolve.hpp"
#include "net/socket.hpp"

namespace tls_checks::net {

// RFC 8305 section 5, "Connection Attempt Delay": 250 ms recommended.
inline constexpr std::chrono::milliseconds connection_attempt_delay{250};

// RFC 8305 section 4: keeps the order within each family and alternates the families, starting
// with the family of the first address ("First Address Family Count" 1).
std::vector<Endpoint> interleave_families(std::vector<Endpoint> endpoints);

struct Connected {
    Socket socket;
    std::size_t index = 0;  // which of the endpoints given
};

// Connects to the first of `endpoints` that accepts (Happy Eyeballs). When none does, the error
// names every address that was tried and what became of it; it is timed_out only when every
// attempt ran out of time, so that a refusal is not reported as the deadline.
Expected<Connected, NetError> connect_first(std::span<const Endpoint> endpoints, const Deadline& deadline,
                                            std::chrono::milliseconds stagger = connection_attempt_delay);

// The same for one address.
Expected<Socket, NetError> connect_to(const Endpoint& endpoint, const Deadline& deadline);

// The two halves of a connect that never waits, for the probes that poll many sockets at once
// (and for connect_first itself): start_connect returns a socket whose connect is in progress,
// finish_connect tells how it ended once the socket is writable.
Expected<Socket, NetError> start_connect(const Endpoint& endpoint);
Expected<Done, NetError> finish_connect(const Socket& socket);

}  // namespace tls_checks::net
