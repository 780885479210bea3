#include "net/socket.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

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

NetError errno_error(std::string_view what, const std::string& peer, int error) {
    return NetError{kind_of_errno(error), std::string(what) + " " + peer + ": " + std::strerror(error)};
}

}  // namespace

Socket& Socket::operator=(Socket&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = other.release();
        peer_text = std::move(other.peer_text);
    }
    return *this;
}

Socket::~Socket() {
    if (fd_ >= 0) ::close(fd_);
}

int Socket::release() noexcept {
    const int fd = fd_;
    fd_ = -1;
    return fd;
}

Expected<Done, NetError> Socket::wait(short events, const Deadline& deadline) const {
    for (;;) {
        pollfd entry{fd_, events, 0};
        const int timeout = deadline.poll_timeout_ms();
        if (timeout == 0)
            return unexpected(NetError{NetErrorKind::timed_out, "timed out waiting for " + peer_text});
        const int ready = ::poll(&entry, 1, timeout);
        if (ready > 0) return Done{};
        if (ready < 0 && errno != EINTR) return unexpected(errno_error("poll", peer_text, errno));
    }
}

Expected<IoProgress, NetError> Socket::try_read(std::span<unsigned char> buffer) {
    for (;;) {
        const ssize_t got = ::recv(fd_, buffer.data(), buffer.size(), 0);
        if (got > 0) return IoProgress{static_cast<std::size_t>(got), false};
        if (got == 0) return unexpected(NetError{NetErrorKind::closed, peer_text + " closed the connection"});
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return IoProgress{0, true};
        return unexpected(errno_error("read from", peer_text, errno));
    }
}

Expected<IoProgress, NetError> Socket::try_write(std::span<const unsigned char> bytes) {
    for (;;) {
        const ssize_t sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (sent >= 0) return IoProgress{static_cast<std::size_t>(sent), sent == 0 && !bytes.empty()};
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return IoProgress{0, true};
        return unexpected(errno_error("write to", peer_text, errno));
    }
}

Expected<std::size_t, NetError> Socket::read_some(std::span<unsigned char> buffer, const Deadline& deadline) {
    for (;;) {
        auto progress = try_read(buffer);
        if (!progress) return unexpected(std::move(progress.error()));
        if (!progress->would_block) return progress->bytes;
        if (auto waited = wait(POLLIN, deadline); !waited) return unexpected(std::move(waited.error()));
    }
}

Expected<Done, NetError> Socket::write_all(std::span<const unsigned char> bytes, const Deadline& deadline) {
    while (!bytes.empty()) {
        auto progress = try_write(bytes);
        if (!progress) return unexpected(std::move(progress.error()));
        bytes = bytes.subspan(progress->bytes);
        if (progress->would_block) {
            if (auto waited = wait(POLLOUT, deadline); !waited) return unexpected(std::move(waited.error()));
        }
    }
    return Done{};
}

Expected<Socket, NetError> start_connect(const Endpoint& endpoint) {
    const int fd = ::socket(endpoint.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0) return unexpected(errno_error("socket for", endpoint.text, errno));
    Socket socket(fd);
    socket.peer_text = endpoint.text;
    // Small request/response exchanges: do not let Nagle delay a hello behind an ACK.
    const int on = 1;
    (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&endpoint.address), endpoint.length) == 0) return socket;
    if (errno != EINPROGRESS) return unexpected(errno_error("connect to", endpoint.text, errno));
    return socket;
}

Expected<Done, NetError> finish_connect(const Socket& socket) {
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(socket.fd(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
    if (error != 0) return unexpected(errno_error("connect to", socket.peer_text, error));
    return Done{};
}

Expected<Socket, NetError> connect_any(const std::vector<Endpoint>& endpoints, const Deadline& deadline) {
    NetError last{NetErrorKind::resolve_failed, "no address to connect to"};
    for (const auto& endpoint : endpoints) {
        auto started = start_connect(endpoint);
        if (!started) {
            last = std::move(started.error());
            continue;
        }
        Socket socket = std::move(*started);
        if (auto writable = socket.wait(POLLOUT, deadline); !writable) {
            return unexpected(NetError{NetErrorKind::timed_out, "connect to " + endpoint.text + " timed out"});
        }
        if (auto connected = finish_connect(socket); !connected) {
            last = std::move(connected.error());
            continue;
        }
        return socket;
    }
    return unexpected(std::move(last));
}

}  // namespace tls_checks::net
