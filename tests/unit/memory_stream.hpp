#pragma once
// A scripted peer for dialog tests: the server's bytes are given up front (optionally in
// chunks, to split replies across reads); what the client writes is recorded.

#include <algorithm>
#include <deque>
#include <string>
#include <vector>

#include "net/stream.hpp"

namespace tls_checks::test {

class MemoryStream final : public net::Stream {
public:
    explicit MemoryStream(std::vector<std::string> chunks) : chunks_(chunks.begin(), chunks.end()) {}

    Expected<std::size_t, net::NetError> read_some(std::span<unsigned char> buffer, const net::Deadline&) override {
        if (chunks_.empty()) {
            // Nothing more scripted: behave like a silent server at its deadline.
            return unexpected(net::NetError{net::NetErrorKind::timed_out, "timed out waiting for script"});
        }
        std::string& chunk = chunks_.front();
        if (chunk == "<close>") return unexpected(net::NetError{net::NetErrorKind::closed, "script closed the connection"});
        const std::size_t count = std::min(buffer.size(), chunk.size());
        std::copy_n(chunk.begin(), count, buffer.begin());
        chunk.erase(0, count);
        if (chunk.empty()) chunks_.pop_front();
        return count;
    }

    Expected<Done, net::NetError> write_all(std::span<const unsigned char> bytes, const net::Deadline&) override {
        written.append(bytes.begin(), bytes.end());
        return Done{};
    }

    [[nodiscard]] const std::string& peer() const override { return name_; }

    std::string written;

private:
    std::deque<std::string> chunks_;
    std::string name_ = "script";
};

}  // namespace tls_checks::test
