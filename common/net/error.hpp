#pragma once

#include <string>
#include <string_view>

namespace tls_checks::net {

enum class NetErrorKind {
    resolve_failed,   // the name does not resolve (or not for the requested family)
    refused,          // connection refused
    unreachable,      // no route, network down, host unreachable
    timed_out,        // the run's deadline passed
    closed,           // the peer closed the connection
    io_error,         // any other socket error
    line_too_long,    // a reply line exceeded its bound
    too_much_data,    // a dialog exceeded its total bound
};

struct NetError {
    NetErrorKind kind;
    std::string message;  // says what and where: "connect to 127.0.0.1:443: Connection refused"
};

// A failed system call on a socket: "<what> <peer>: <strerror>", its kind from errno.
NetError errno_error(std::string_view what, const std::string& peer, int error);

}  // namespace tls_checks::net
