#include "net/error.hpp"

#include <cerrno>
#include <cstring>

namespace tls_checks::net {

namespace {

NetErrorKind kind_of_errno(int error) noexcept {
    switch (error) {
        case ECONNREFUSED: return NetErrorKind::refused;
        case ENETUNREACH:
        case EHOSTUNREACH:
        case ENETDOWN:
        case EHOSTDOWN: return NetErrorKind::unreachable;
        case ETIMEDOUT: return NetErrorKind::timed_out;
        case ECONNRESET:
        case EPIPE: return NetErrorKind::closed;
        default: return NetErrorKind::io_error;
    }
}

}  // namespace

NetError errno_error(std::string_view what, const std::string& peer, int error) {
    return NetError{kind_of_errno(error), std::string(what) + " " + peer + ": " + std::strerror(error)};
}

}  // namespace tls_checks::net
