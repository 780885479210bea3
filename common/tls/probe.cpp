#include "tls/probe.hpp"

#include <poll.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <thread>

#include "net/socket.hpp"

namespace tls_checks::tls {

namespace {

// Enough for any ServerHello with its record headers; a server that sends more without one is
// not answering the question.
constexpr std::size_t max_answer_bytes = 32 * 1024;

enum class Phase { connecting, sending, reading, done };

struct Probe {
    const ProbeRequest* request = nullptr;
    net::Socket socket;
    Phase phase = Phase::connecting;
    std::size_t sent = 0;
    std::vector<std::uint8_t> received;
    ProbeResult result;

    void finish(ProbeAnswer answer) {
        result.answer = std::move(answer);
        phase = Phase::done;
        socket = net::Socket();  // close now: the probe never completes a handshake
    }
    void fail(ProbeVerdict verdict, std::string detail) {
        ProbeAnswer answer;
        answer.verdict = verdict;
        answer.detail = std::move(detail);
        finish(std::move(answer));
    }
};

void on_connected(Probe& probe) {
    if (auto connected = net::finish_connect(probe.socket); !connected) {
        probe.result.connect_error = connected.error();
        probe.fail(ProbeVerdict::unknown, connected.error().message);
        return;
    }
    probe.phase = Phase::sending;
}

void on_writable(Probe& probe) {
    const auto& hello = probe.request->hello;
    auto progress = probe.socket.try_write(std::span(hello).subspan(probe.sent));
    if (!progress) {
        // A server that resets while we send has said no as clearly as one that closes.
        probe.fail(ProbeVerdict::refused, "connection closed while sending the hello (" + progress.error().message + ")");
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
    if (auto answer = interpret_answer(probe.request->version, probe.received, closed)) {
        probe.finish(std::move(*answer));
    } else if (probe.received.size() > max_answer_bytes) {
        probe.fail(ProbeVerdict::unknown, "more than " + std::to_string(max_answer_bytes) + " bytes without a decision");
    }
}

}  // namespace

std::vector<ProbeResult> run_probes(const net::Endpoint& endpoint, const std::vector<ProbeRequest>& requests,
                                    const net::Deadline& deadline) {
    std::vector<Probe> probes(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i) {
        Probe& probe = probes[i];
        probe.request = &requests[i];
        probe.result.version = requests[i].version;
        auto started = net::start_connect(endpoint);
        if (!started) {
            probe.result.connect_error = started.error();
            probe.fail(ProbeVerdict::unknown, started.error().message);
            continue;
        }
        probe.socket = std::move(*started);
    }

    std::vector<pollfd> fds;
    std::vector<Probe*> owners;
    for (;;) {
        fds.clear();
        owners.clear();
        for (auto& probe : probes) {
            if (probe.phase == Phase::done) continue;
            const short events = probe.phase == Phase::reading ? POLLIN : POLLOUT;
            fds.push_back(pollfd{probe.socket.fd(), events, 0});
            owners.push_back(&probe);
        }
        if (fds.empty()) break;
        const int timeout = deadline.poll_timeout_ms();
        if (timeout == 0) break;
        const int ready = ::poll(fds.data(), fds.size(), timeout);
        if (ready < 0) {
            if (errno == EINTR) continue;
            for (Probe* probe : owners) probe->fail(ProbeVerdict::unknown, std::string("poll: ") + std::strerror(errno));
            break;
        }
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (fds[i].revents == 0) continue;
            Probe& probe = *owners[i];
            switch (probe.phase) {
                case Phase::connecting:
                    on_connected(probe);
                    // A fresh connection is writable: send the hello now rather than after
                    // another trip through poll().
                    if (probe.phase == Phase::sending) on_writable(probe);
                    break;
                case Phase::sending: on_writable(probe); break;
                case Phase::reading: on_readable(probe); break;
                case Phase::done: break;
            }
        }
    }

    std::vector<ProbeResult> results;
    results.reserve(probes.size());
    for (auto& probe : probes) {
        if (probe.phase != Phase::done) {
            probe.result.timed_out = true;
            const char* where = probe.phase == Phase::connecting ? "connecting"
                                : probe.phase == Phase::sending  ? "sending the hello"
                                : probe.received.empty()         ? "waiting for an answer"
                                                                 : "reading the answer";
            probe.fail(ProbeVerdict::unknown, std::string("timed out ") + where);
        }
        results.push_back(std::move(probe.result));
    }
    return results;
}

namespace {

ProbeResult probe_with_preamble(std::size_t index, const net::Endpoint& endpoint, const ProbeRequest& request,
                                const Preamble& preamble, const net::Deadline& deadline) {
    ProbeResult result;
    result.version = request.version;
    const auto give_up = [&](ProbeVerdict verdict, std::string detail) {
        result.answer.verdict = verdict;
        result.answer.detail = std::move(detail);
        return result;
    };
    auto connected = net::connect_any({endpoint}, deadline);
    if (!connected) {
        result.timed_out = connected.error().kind == net::NetErrorKind::timed_out;
        result.connect_error = connected.error();
        return give_up(ProbeVerdict::unknown, connected.error().message);
    }
    net::Socket& socket = *connected;
    if (!preamble(index, socket, deadline)) {
        result.preamble_failed = true;
        result.timed_out = deadline.expired();
        return give_up(ProbeVerdict::unknown, "the STARTTLS dialog failed");
    }
    if (auto sent = socket.write_all(request.hello, deadline); !sent)
        return give_up(ProbeVerdict::refused, "connection closed while sending the hello (" + sent.error().message + ")");
    std::vector<std::uint8_t> received;
    std::array<std::uint8_t, 4096> chunk{};
    for (;;) {
        auto got = socket.read_some(chunk, deadline);
        bool closed = false;
        if (!got) {
            if (got.error().kind == net::NetErrorKind::timed_out) {
                result.timed_out = true;
                return give_up(ProbeVerdict::unknown, received.empty() ? "timed out waiting for an answer" : "timed out reading the answer");
            }
            closed = true;
        } else {
            received.insert(received.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(*got));
        }
        if (auto answer = interpret_answer(request.version, received, closed)) {
            result.answer = std::move(*answer);
            return result;
        }
        if (received.size() > max_answer_bytes)
            return give_up(ProbeVerdict::unknown, "more than " + std::to_string(max_answer_bytes) + " bytes without a decision");
    }
}

}  // namespace

std::vector<ProbeResult> run_probes_with_preamble(const net::Endpoint& endpoint, const std::vector<ProbeRequest>& requests,
                                                  const Preamble& preamble, const net::Deadline& deadline) {
    std::vector<ProbeResult> results(requests.size());
    std::vector<std::thread> threads;
    threads.reserve(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i) {
        threads.emplace_back([&, i] { results[i] = probe_with_preamble(i, endpoint, requests[i], preamble, deadline); });
    }
    for (auto& thread : threads) thread.join();
    return results;
}

}  // namespace tls_checks::tls
