#include "tls/probe.hpp"

#include <poll.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <thread>

#include "base/parallel.hpp"
#include "net/connector.hpp"
#include "net/socket.hpp"

namespace tls_checks::tls {

namespace {

// Enough for any ServerHello with its record headers; a server that sends more without one is
// not answering the question.
constexpr std::size_t max_answer_bytes = 32 * 1024;

constexpr const char* retried_note = "; retried alone, the first connection got no TLS answer";

// A daemon counts a connection against its per-address limit until it has noticed our close
// (xinetd and Courier reap the child, InspIRCd handles the event), a moment after the close. A
// retry that comes before that is refused again: give the daemon this long first.
constexpr std::chrono::milliseconds settle_before_retry{50};

void settle(const net::Deadline& deadline) {
    const auto left = std::chrono::milliseconds(deadline.poll_timeout_ms());
    std::this_thread::sleep_for(std::min(left, settle_before_retry));
}

std::size_t clamp_connections(std::size_t max_connections) {
    return std::clamp<std::size_t>(max_connections, 1, max_max_connections);
}

// A close or reset before any byte, judged as the answer interpreter judges a close with
// nothing received (refused) — whether the reset reached us during connect, while sending the
// hello or while waiting for the answer, which is only a matter of timing.
ProbeAnswer closed_without_answer(ProtocolVersion version) {
    return *interpret_answer(version, {}, true);
}

// The deadline of one of `remaining` retries run one after another: an equal share of what is
// left, so that one retry the server lets hang cannot use up the time of the others.
net::Deadline retry_share(const net::Deadline& deadline, std::size_t remaining) {
    const auto now = net::Deadline::Clock::now();
    if (remaining <= 1 || deadline.end() <= now) return deadline;
    return net::Deadline(now + (deadline.end() - now) / static_cast<long>(remaining));
}

// A retry that decided nothing (it ran out of its time) does not undo what the first attempt
// saw when that was an answer, if not a TLS one: a service that answers in plain text and then
// keeps a lone connection waiting still does not speak TLS.
void keep_first_if_undecided(ProbeResult& retried, const ProbeResult& first) {
    if (!retried.timed_out || !first.answer.non_tls_text) return;
    const std::size_t connections = retried.connections;
    retried = first;
    retried.connections = connections;
}

// Whether a connect error still proves that the server accepted the connection. A reset while
// the handshake is unfinished (SYN-SENT) is reported as ECONNREFUSED; ECONNRESET or EPIPE come
// only from a synchronized connection — on loopback the kernel completes the handshake before
// the server even calls accept(), so "accept, then reset" often surfaces here.
bool accepted_then_reset(const net::NetError& error) { return error.kind == net::NetErrorKind::closed; }

// Nothing of a TLS answer arrived: the connection is gone, or the server answered in plain text,
// as daemons refuse a connection over their per-address limit (ngIRCd: "ERROR :Connection
// refused, too many connections from your IP address"). Worth one retry alone; an answer that is
// still not TLS then stands.
enum class Ending { answered_or_undecided, closed_unanswered };

enum class Phase { waiting, connecting, sending, reading, done };

struct Probe {
    const ProbeRequest* request = nullptr;
    std::size_t index = 0;               // in the requests, for the preamble
    const Preamble* preamble = nullptr;  // the STARTTLS dialog to run once connected, if any
    std::optional<net::Socket> adopted;  // a connection already open, used instead of a new one
    net::Socket socket;
    Phase phase = Phase::waiting;
    std::size_t sent = 0;
    std::vector<std::uint8_t> received;
    ProbeResult result;
    Ending ending = Ending::answered_or_undecided;
    bool reached = false;      // a TCP connection to the server was established
    bool dialog_done = false;  // the connection got past the STARTTLS dialog

    void start(const net::Endpoint& endpoint) {
        const std::size_t connections = result.connections;
        const bool retry = result.retried;
        result = ProbeResult{};
        result.version = request->version;
        result.connections = connections + 1;
        result.retried = retry;
        sent = 0;
        received.clear();
        ending = Ending::answered_or_undecided;
        phase = Phase::connecting;
        if (adopted) {
            // Writable at once, so the poll loop finishes it like any other connect.
            socket = std::move(*adopted);
            adopted.reset();
            return;
        }
        auto started = net::start_connect(endpoint);
        if (!started) {
            connect_failed(started.error());
            return;
        }
        socket = std::move(*started);
    }
    void connect_failed(const net::NetError& error) {
        if (accepted_then_reset(error)) {
            reached = true;
            result.connected = true;
            close_unanswered();
            return;
        }
        if (error.kind == net::NetErrorKind::refused) ending = Ending::closed_unanswered;
        result.timed_out = error.kind == net::NetErrorKind::timed_out;
        result.connect_error = error;
        fail(ProbeVerdict::unknown, error.message);
    }
    void close_unanswered() {
        ending = Ending::closed_unanswered;
        finish(closed_without_answer(request->version));
    }
    void finish(ProbeAnswer answer) {
        result.answer = std::move(answer);
        if (result.retried) result.answer.detail += retried_note;
        phase = Phase::done;
        socket = net::Socket();  // close now: the probe never completes a handshake
    }
    void fail(ProbeVerdict verdict, std::string detail) {
        ProbeAnswer answer;
        answer.verdict = verdict;
        answer.detail = std::move(detail);
        finish(std::move(answer));
    }
    void time_out() {
        if (phase == Phase::connecting) {
            connect_failed(net::NetError{net::NetErrorKind::timed_out, "connect to " + socket.peer_text + " timed out"});
            return;
        }
        result.timed_out = true;
        const char* where = phase == Phase::waiting   ? "before this probe's turn to connect"
                            : phase == Phase::sending ? "sending the hello"
                            : received.empty()        ? "waiting for an answer"
                                                      : "reading the answer";
        fail(ProbeVerdict::unknown, std::string("timed out ") + where);
    }
};

void on_connected(Probe& probe, const net::Deadline& deadline) {
    // With a dialog to run, an accepted connection that was reset before connect() reported back
    // goes on into the dialog, which then fails exactly as it does when the reset comes a moment
    // later.
    if (auto connected = net::finish_connect(probe.socket);
        !connected && !(probe.preamble && accepted_then_reset(connected.error()))) {
        probe.connect_failed(connected.error());
        return;
    }
    probe.reached = true;
    probe.result.connected = true;
    probe.phase = Phase::sending;
    if (probe.preamble == nullptr) return;
    // The dialog is a conversation of its own, blocking against the deadline: such a probe is
    // the only one of its wave (run_probes_with_preamble gives each its own thread).
    if (!(*probe.preamble)(probe.index, probe.socket, deadline)) {
        probe.result.preamble_failed = true;
        probe.result.timed_out = deadline.expired();
        probe.fail(ProbeVerdict::unknown, "the STARTTLS dialog failed");
        // A "too many connections" reply or a close in the middle of the dialog: worth a retry alone.
        if (!probe.result.timed_out) probe.ending = Ending::closed_unanswered;
        return;
    }
    probe.dialog_done = true;
}

void on_writable(Probe& probe) {
    const auto& hello = probe.request->hello;
    auto progress = probe.socket.try_write(std::span(hello).subspan(probe.sent));
    if (!progress) {
        // A server that resets while we send has said no as clearly as one that closes.
        probe.close_unanswered();
        return;
    }
    probe.sent += progress->bytes;
    if (probe.sent == hello.size()) probe.phase = Phase::reading;
}

void on_readable(Probe& probe) {
    std::array<std::uint8_t, 4096> chunk{};
    auto progress = probe.socket.try_read(chunk);
    bool closed = false;
    if (!progress) {
        const auto kind = progress.error().kind;
        if (kind != net::NetErrorKind::closed && kind != net::NetErrorKind::io_error) {
            probe.fail(ProbeVerdict::unknown, progress.error().message);
            return;
        }
        closed = true;  // orderly close or reset: what was received so far is the whole answer
    } else if (progress->would_block) {
        return;
    } else {
        probe.received.insert(probe.received.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(progress->bytes));
    }
    if (closed && probe.received.empty()) {
        probe.close_unanswered();
    } else if (auto answer = interpret_answer(probe.request->version, probe.received, closed)) {
        const bool plain_text = answer->non_tls_text.has_value();
        probe.finish(std::move(*answer));
        if (plain_text) probe.ending = Ending::closed_unanswered;
    } else if (probe.received.size() > max_answer_bytes) {
        probe.fail(ProbeVerdict::unknown, "more than " + std::to_string(max_answer_bytes) + " bytes without a decision");
    }
}

// Runs the probes named by `order`, in that order, at most `max_open` connected at once; a probe
// starts as soon as an earlier one is done. Every probe of `order` is done afterwards.
void run_wave(std::vector<Probe>& probes, const std::vector<std::size_t>& order, std::size_t max_open,
              const net::Endpoint& endpoint, const net::Deadline& deadline) {
    std::size_t next = 0;
    std::vector<pollfd> fds;
    std::vector<Probe*> owners;
    for (;;) {
        fds.clear();
        owners.clear();
        for (std::size_t i = 0; i < next; ++i) {
            Probe& probe = probes[order[i]];
            if (probe.phase == Phase::done) continue;
            const short events = probe.phase == Phase::reading ? POLLIN : POLLOUT;
            fds.push_back(pollfd{probe.socket.fd(), events, 0});
            owners.push_back(&probe);
        }
        if (fds.size() < max_open && next < order.size() && !deadline.expired()) {
            probes[order[next++]].start(endpoint);
            continue;  // start up to max_open before waiting; one that failed at once frees its slot
        }
        if (fds.empty()) break;
        const int timeout = deadline.poll_timeout_ms();
        if (timeout == 0) break;
        const int ready = ::poll(fds.data(), fds.size(), timeout);
        if (ready < 0) {
            if (errno == EINTR) continue;
            const std::string error = std::string("poll: ") + std::strerror(errno);
            for (Probe* probe : owners) probe->fail(ProbeVerdict::unknown, error);
            break;
        }
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (fds[i].revents == 0) continue;
            Probe& probe = *owners[i];
            switch (probe.phase) {
                case Phase::connecting:
                    on_connected(probe, deadline);
                    // A fresh connection is writable: send the hello now rather than after
                    // another trip through poll().
                    if (probe.phase == Phase::sending) on_writable(probe);
                    break;
                case Phase::sending: on_writable(probe); break;
                case Phase::reading: on_readable(probe); break;
                case Phase::waiting:
                case Phase::done: break;
            }
        }
    }
    for (const std::size_t index : order) {
        if (probes[index].phase != Phase::done) probes[index].time_out();
    }
}

std::vector<Probe> probes_for(const std::vector<ProbeRequest>& requests, std::optional<net::Socket> connected,
                              const Preamble* preamble) {
    std::vector<Probe> probes(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i) {
        probes[i].request = &requests[i];
        probes[i].index = i;
        probes[i].preamble = preamble;
        probes[i].result.version = requests[i].version;
    }
    if (!probes.empty()) probes.front().adopted = std::move(connected);
    return probes;
}

std::vector<ProbeResult> results_of(std::vector<Probe>& probes) {
    std::vector<ProbeResult> results;
    results.reserve(probes.size());
    for (auto& probe : probes) results.push_back(std::move(probe.result));
    return results;
}

// Runs probe `index` once more, alone, in its share of what is left of the deadline (one of
// `remaining` retries): after a pause that lets a per-address limit notice our earlier closes.
void retry_alone(std::vector<Probe>& probes, std::size_t index, std::size_t remaining, const net::Endpoint& endpoint,
                 const net::Deadline& deadline) {
    Probe& probe = probes[index];
    probe.phase = Phase::waiting;
    probe.result.retried = true;
    const ProbeResult first = probe.result;
    settle(deadline);
    run_wave(probes, {index}, 1, endpoint, retry_share(deadline, remaining));
    keep_first_if_undecided(probe.result, first);
}

}  // namespace

std::vector<ProbeResult> run_probes(const net::Endpoint& endpoint, const std::vector<ProbeRequest>& requests,
                                    const net::Deadline& deadline, std::size_t max_connections,
                                    std::optional<net::Socket> connected) {
    auto probes = probes_for(requests, std::move(connected), nullptr);
    std::vector<std::size_t> order(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i) order[i] = i;
    run_wave(probes, order, clamp_connections(max_connections), endpoint, deadline);

    // When no probe reached the service, nothing listens there: retrying would only repeat that.
    const bool reached = std::any_of(probes.begin(), probes.end(), [](const Probe& p) { return p.reached; });
    std::vector<std::size_t> retries;
    for (std::size_t i = 0; reached && i < probes.size(); ++i) {
        if (probes[i].ending == Ending::closed_unanswered) retries.push_back(i);
    }
    // One at a time, with nothing else open: a per-address limit cannot refuse a lone connection.
    for (std::size_t n = 0; n < retries.size(); ++n) retry_alone(probes, retries[n], retries.size() - n, endpoint, deadline);
    return results_of(probes);
}

std::vector<ProbeResult> run_probes_with_preamble(const net::Endpoint& endpoint, const std::vector<ProbeRequest>& requests,
                                                  const Preamble& preamble, const net::Deadline& deadline,
                                                  std::size_t max_connections, std::optional<net::Socket> connected) {
    auto probes = probes_for(requests, std::move(connected), &preamble);
    // Each probe a wave of its own on one of `max_connections` workers: the dialog blocks.
    run_in_parallel(probes.size(), clamp_connections(max_connections),
                    [&](std::size_t i) { run_wave(probes, {i}, 1, endpoint, deadline); });

    // When no dialog got through, that failure is the finding (STARTTLS not offered, or nothing
    // listens); six more sequential dialogs would only spend the deadline on it.
    const bool any_dialog_done = std::any_of(probes.begin(), probes.end(), [](const Probe& p) { return p.dialog_done; });
    std::vector<std::size_t> retries;
    for (std::size_t i = 0; any_dialog_done && i < probes.size(); ++i) {
        if (probes[i].ending == Ending::closed_unanswered) retries.push_back(i);
    }
    for (std::size_t n = 0; n < retries.size(); ++n) {
        Probe& probe = probes[retries[n]];
        if (deadline.expired()) {
            probe.result.retried = true;
            probe.result.timed_out = true;
            probe.result.answer.verdict = ProbeVerdict::unknown;
            probe.result.answer.detail = "timed out before the retry alone (the first connection got no TLS answer)";
            continue;
        }
        retry_alone(probes, retries[n], retries.size() - n, endpoint, deadline);
    }
    return results_of(probes);
}

}  // namespace tls_checks::tls
