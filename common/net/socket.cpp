#include "net/socket.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tls_checks::net {


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

}  // namespace tls_checks::net
