#include "tls/deadline_bio.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <limits>
#include <new>

namespace tls_checks::tls {

namespace {

struct BioState {
    int fd = -1;
    net::Deadline deadline{net::Deadline::Clock::time_point::max()};
    std::size_t read_limit = std::numeric_limits<std::size_t>::max();
    std::uint64_t bytes_read = 0;
    BioStop stop = BioStop::none;
    bool waits = false;  // set_deadline_bio_waiting: poll() here instead of asking for a retry
};

BioState* state_of(BIO* bio) noexcept { return static_cast<BioState*>(BIO_get_data(bio)); }

// In waiting mode: true once the socket is ready for `events`, false (the deadline recorded as
// the stop) when the deadline passes first.
bool wait_ready(BioState& state, short events) noexcept {
    for (;;) {
        pollfd entry{state.fd, events, 0};
        const int timeout = state.deadline.poll_timeout_ms();
        if (timeout == 0) {
            state.stop = BioStop::deadline;
            return false;
        }
        const int ready = ::poll(&entry, 1, timeout);
        if (ready > 0) return true;
        if (ready < 0 && errno != EINTR) return false;
    }
}

// A stop is final until the BIO is armed again: OpenSSL may call again (to send an alert) and
// must get the same answer.
bool stopped(BioState& state) noexcept {
    if (state.stop != BioStop::none) return true;
    if (state.deadline.expired()) {
        state.stop = BioStop::deadline;
        return true;
    }
    return false;
}

int create(BIO* bio) {
    auto* state = new (std::nothrow) BioState;
    if (state == nullptr) return 0;
    BIO_set_data(bio, state);
    return 1;
}

int destroy(BIO* bio) {
    delete state_of(bio);
    BIO_set_data(bio, nullptr);
    BIO_set_init(bio, 0);
    return 1;
}

int read_ex(BIO* bio, char* data, std::size_t size, std::size_t* done) {
    *done = 0;
    BIO_clear_flags(bio, BIO_FLAGS_RWS | BIO_FLAGS_SHOULD_RETRY);
    BioState* state = state_of(bio);
    if (state == nullptr || data == nullptr || size == 0 || stopped(*state)) return 0;
    if (state->bytes_read >= state->read_limit) {
        state->stop = BioStop::read_limit;
        return 0;
    }
    // Never past the limit: the read that would cross it gets only what is left.
    const std::size_t room = static_cast<std::size_t>(std::min<std::uint64_t>(size, state->read_limit - state->bytes_read));
    for (;;) {
        const ssize_t got = ::recv(state->fd, data, room, 0);
        if (got > 0) {
            *done = static_cast<std::size_t>(got);
            state->bytes_read += *done;
            return 1;
        }
        if (got == 0) {
            // As OpenSSL's socket BIO: BIO_eof() then says the peer closed.
            BIO_set_flags(bio, BIO_FLAGS_IN_EOF);
            return 0;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (state->waits) {
                if (wait_ready(*state, POLLIN)) continue;
                return 0;
            }
            BIO_set_flags(bio, BIO_FLAGS_READ | BIO_FLAGS_SHOULD_RETRY);
        }
        return 0;  // any other error: errno says which
    }
}

int write_ex(BIO* bio, const char* data, std::size_t size, std::size_t* done) {
    *done = 0;
    BIO_clear_flags(bio, BIO_FLAGS_RWS | BIO_FLAGS_SHOULD_RETRY);
    BioState* state = state_of(bio);
    if (state == nullptr || stopped(*state)) return 0;
    if (size == 0) return 1;
    for (;;) {
        // MSG_NOSIGNAL: a peer that closed is EPIPE here, whatever SIGPIPE's disposition.
        const ssize_t sent = ::send(state->fd, data, size, MSG_NOSIGNAL);
        if (sent > 0) {
            *done = static_cast<std::size_t>(sent);
            return 1;
        }
        if (sent < 0 && errno == EINTR) continue;
        if (sent == 0 || errno == EAGAIN || errno == EWOULDBLOCK) {
            if (state->waits) {
                if (wait_ready(*state, POLLOUT)) continue;
                return 0;
            }
            BIO_set_flags(bio, BIO_FLAGS_WRITE | BIO_FLAGS_SHOULD_RETRY);
        }
        return 0;
    }
}

long control(BIO* bio, int command, long /*number*/, void* pointer) {
    BioState* state = state_of(bio);
    switch (command) {
        case BIO_CTRL_FLUSH: return 1;  // nothing is buffered here
        case BIO_C_DO_STATE_MACHINE: return 1;  // BIO_do_connect(): the socket is connected already
        case BIO_CTRL_EOF: return BIO_test_flags(bio, BIO_FLAGS_IN_EOF) != 0 ? 1 : 0;
        case BIO_C_GET_FD:
            if (state == nullptr) return -1;
            if (pointer != nullptr) *static_cast<int*>(pointer) = state->fd;
            return state->fd;
        case BIO_CTRL_GET_CLOSE: return BIO_NOCLOSE;
        case BIO_CTRL_SET_CLOSE: return 1;
        default: return 0;
    }
}

struct Method {
    int type = -1;
    BIO_METHOD* method = nullptr;
};

// Made once per process (thread-safe static), never freed: a check is one short-lived run.
const Method& method() {
    static const Method made = [] {
        Method result;
        const int index = BIO_get_new_index();
        if (index == -1) return result;
        result.type = index | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR;
        BIO_METHOD* method = BIO_meth_new(result.type, "tls-checks deadline socket");
        if (method == nullptr || BIO_meth_set_write_ex(method, write_ex) != 1 ||
            BIO_meth_set_read_ex(method, read_ex) != 1 || BIO_meth_set_ctrl(method, control) != 1 ||
            BIO_meth_set_create(method, create) != 1 || BIO_meth_set_destroy(method, destroy) != 1) {
            BIO_meth_free(method);
            return result;
        }
        result.method = method;
        return result;
    }();
    return made;
}

BioState* ours(BIO* bio) noexcept {
    if (bio == nullptr || BIO_method_type(bio) != method().type) return nullptr;
    return state_of(bio);
}

}  // namespace

BIO* new_deadline_bio(int fd) {
    const Method& made = method();
    if (made.method == nullptr) return nullptr;
    BIO* bio = BIO_new(made.method);
    if (bio == nullptr) return nullptr;
    state_of(bio)->fd = fd;
    BIO_set_init(bio, 1);
    return bio;
}

void arm_deadline_bio(BIO* bio, const net::Deadline& deadline, std::size_t read_limit) noexcept {
    BioState* state = ours(bio);
    if (state == nullptr) return;
    state->deadline = deadline;
    state->read_limit = read_limit;
    state->bytes_read = 0;
    state->stop = BioStop::none;
}

void set_deadline_bio_waiting(BIO* bio, bool waits) noexcept {
    if (BioState* state = ours(bio)) state->waits = waits;
}

DeadlineBioStatus deadline_bio_status(BIO* bio) noexcept {
    const BioState* state = ours(bio);
    if (state == nullptr) return {};
    return DeadlineBioStatus{state->stop, state->bytes_read, state->read_limit};
}

std::string byte_count_text(std::uint64_t bytes) {
    constexpr std::uint64_t kib = 1024;
    constexpr std::uint64_t mib = 1024 * kib;
    if (bytes < kib) return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
    const bool in_mib = bytes >= mib;
    const std::uint64_t unit = in_mib ? mib : kib;
    // One decimal, rounded, with '.' whatever the locale; none when it is a round number.
    const std::uint64_t tenths = (bytes * 10 + unit / 2) / unit;
    std::string text = std::to_string(tenths / 10);
    if (tenths % 10 != 0) text += "." + std::to_string(tenths % 10);
    return text + (in_mib ? " MiB" : " KiB");
}

}  // namespace tls_checks::tls
