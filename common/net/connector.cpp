#include "net/connector.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace tls_checks::net {

namespace {

using Clock = Deadline::Clock;

struct Attempt {
    Socket socket;
    Clock::time_point until;  // this attempt's share of the deadline
    std::size_t index = 0;
};

// The share of what is left of the deadline for an attempt with `left` attempts (itself
// included) still to start: an equal part, all of it for the last.
Clock::time_point share_of(const Deadline& deadline, std::size_t left) {
    const auto now = Clock::now();
    if (left <= 1 || deadline.end() <= now) return deadline.end();
    return now + (deadline.end() - now) / static_cast<long>(left);
}

int poll_timeout_until(Clock::time_point wake) {
    const auto left = wake - Clock::now();
    if (left <= Clock::duration::zero()) return 0;
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
    return ms > 2'000'000'000 ? 2'000'000'000 : static_cast<int>(ms);
}

// One error for a connect that reached no address: the only one, or every address's.
NetError none_connected(std::vector<NetError> failures, std::size_t not_tried) {
    if (failures.empty()) return NetError{NetErrorKind::timed_out, "timed out before any connection attempt"};
    if (failures.size() == 1 && not_tried == 0) return std::move(failures.front());
    const bool all_timed_out = std::all_of(failures.begin(), failures.end(),
                                           [](const NetError& e) { return e.kind == NetErrorKind::timed_out; });
    NetErrorKind kind = NetErrorKind::timed_out;
    if (!all_timed_out) {
        kind = std::find_if(failures.begin(), failures.end(), [](const NetError& e) {
                   return e.kind != NetErrorKind::timed_out;
               })->kind;
    }
    std::string message = "no address accepted the connection: ";
    for (std::size_t i = 0; i < failures.size(); ++i) message += (i == 0 ? "" : "; ") + failures[i].message;
    if (not_tried > 0) message += "; " + std::to_string(not_tried) + " more not tried before the deadline";
    return NetError{kind, std::move(message)};
}

}  // namespace

std::vector<Endpoint> interleave_families(std::vector<Endpoint> endpoints) {
    if (endpoints.size() < 2) return endpoints;
    const int first_family = endpoints.front().family;
    std::vector<Endpoint> first;
    std::vector<Endpoint> other;
    for (auto& endpoint : endpoints) (endpoint.family == first_family ? first : other).push_back(std::move(endpoint));
    std::vector<Endpoint> ordered;
    ordered.reserve(first.size() + other.size());
    for (std::size_t i = 0; i < std::max(first.size(), other.size()); ++i) {
        if (i < first.size()) ordered.push_back(std::move(first[i]));
        if (i < other.size()) ordered.push_back(std::move(other[i]));
    }
    return ordered;
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

Expected<Connected, NetError> connect_first(std::span<const Endpoint> endpoints, const Deadline& deadline,
                                            std::chrono::milliseconds stagger) {
    if (endpoints.empty()) return unexpected(NetError{NetErrorKind::resolve_failed, "no address to connect to"});
    std::vector<Attempt> running;
    std::vector<NetError> failures;
    std::vector<pollfd> fds;
    std::size_t next = 0;
    auto next_start = Clock::now();
    for (;;) {
        if (next < endpoints.size() && !deadline.expired() && (running.empty() || Clock::now() >= next_start)) {
            const std::size_t index = next++;
            const auto until = share_of(deadline, endpoints.size() - index);
            auto started = start_connect(endpoints[index]);
            if (!started) {
                failures.push_back(std::move(started.error()));
                continue;  // the next one at once (RFC 8305 section 5)
            }
            running.push_back(Attempt{std::move(*started), until, index});
            next_start = Clock::now() + stagger;
            continue;
        }
        if (running.empty()) break;

        auto wake = deadline.end();
        fds.clear();
        for (const auto& attempt : running) {
            fds.push_back(pollfd{attempt.socket.fd(), POLLOUT, 0});
            wake = std::min(wake, attempt.until);
        }
        if (next < endpoints.size()) wake = std::min(wake, next_start);
        const int ready = ::poll(fds.data(), fds.size(), poll_timeout_until(wake));
        if (ready < 0) {
            if (errno == EINTR) continue;
            const int error = errno;
            for (const auto& attempt : running) failures.push_back(errno_error("poll for", attempt.socket.peer_text, error));
            running.clear();
            break;
        }
        std::vector<Attempt> still;
        const auto now = Clock::now();
        for (std::size_t i = 0; i < running.size(); ++i) {
            Attempt& attempt = running[i];
            if (fds[i].revents != 0) {
                auto connected = finish_connect(attempt.socket);
                if (connected) return Connected{std::move(attempt.socket), attempt.index};
                failures.push_back(std::move(connected.error()));
                // A failure starts the next attempt at once (RFC 8305 section 5).
                next_start = now;
            } else if (now >= attempt.until) {
                failures.push_back(NetError{NetErrorKind::timed_out, "connect to " + attempt.socket.peer_text + " timed out"});
                next_start = now;
            } else {
                still.push_back(std::move(attempt));
            }
        }
        running = std::move(still);
    }
    return unexpected(none_connected(std::move(failures), endpoints.size() - next));
}

Expected<Socket, NetError> connect_to(const Endpoint& endpoint, const Deadline& deadline) {
    auto connected = connect_first(std::span(&endpoint, 1), deadline);
    if (!connected) return unexpected(std::move(connected.error()));
    return std::move(connected->socket);
}

}  // namespace tls_checks::net
