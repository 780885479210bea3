#pragma once
// A connected, non-blocking TCP socket; every operation is bounded by the run's deadline.

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "net/deadline.hpp"
#include "net/error.hpp"
#include "net/resolve.hpp"
#include "net/stream.hpp"

namespace tls_checks::net {

// What one non-waiting read or write achieved.
struct IoProgress {
    std::size_t bytes = 0;
    bool would_block = false;  // nothing could be moved right now; poll and try again
};

class Socket final : public Stream {
public:
    Socket() noexcept = default;
    explicit Socket(int fd) noexcept : fd_(fd) {}
    Socket(Socket&& other) noexcept : Stream(), peer_text(std::move(other.peer_text)), fd_(other.release()) {}
    Socket& operator=(Socket&& other) noexcept;
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    ~Socket() override;

    [[nodiscard]] int fd() const noexcept { return fd_; }
    [[nodiscard]] bool is_open() const noexcept { return fd_ >= 0; }
    int release() noexcept;

    // One read or write that never waits: the building blocks of the waiting calls below and of
    // the probes that poll many sockets at once. A peer's orderly close is NetErrorKind::closed.
    Expected<IoProgress, NetError> try_read(std::span<unsigned char> buffer);
    Expected<IoProgress, NetError> try_write(std::span<const unsigned char> bytes);

    // Reads what is available (at least one byte), waiting until the deadline.
    // An orderly close by the peer is NetErrorKind::closed.
    Expected<std::size_t, NetError> read_some(std::span<unsigned char> buffer, const Deadline& deadline) override;
    // Writes every byte or fails.
    Expected<Done, NetError> write_all(std::span<const unsigned char> bytes, const Deadline& deadline) override;
    [[nodiscard]] const std::string& peer() const override { return peer_text; }

    // Waits until the socket is readable (events = POLLIN) or writable (POLLOUT).
    Expected<Done, NetError> wait(short events, const Deadline& deadline) const;

    // Who we are connected to, for messages ("127.0.0.1:443").
    std::string peer_text;

private:
    int fd_ = -1;
};

}  // namespace tls_checks::net
