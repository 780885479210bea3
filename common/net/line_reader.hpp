#pragma once
// A bounded reader over a socket: lines for text protocols, exact byte counts for binary ones.
// Every byte read counts against a total cap, so an endless reply cannot keep a check alive.

#include <cstddef>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "net/deadline.hpp"
#include "net/error.hpp"
#include "net/stream.hpp"

namespace tls_checks::net {

struct ReaderLimits {
    std::size_t max_line = 4096;         // bytes in one line, terminator excluded
    std::size_t max_total = 256 * 1024;  // bytes over the reader's whole life
};

class LineReader {
public:
    explicit LineReader(Stream& stream, ReaderLimits limits = {}) : stream_(stream), limits_(limits) {}

    // The next line without its terminator ("\r\n" or a bare "\n").
    Expected<std::string, NetError> read_line(const Deadline& deadline);
    // Whatever is buffered, or else whatever one read brings (at least one byte): for protocols
    // framed by neither lines nor lengths (XMPP).
    Expected<std::string, NetError> read_available(const Deadline& deadline);
    // Exactly `count` bytes.
    Expected<std::vector<unsigned char>, NetError> read_exact(std::size_t count, const Deadline& deadline);

    // Bytes received but not yet handed out. Before a TLS handshake this must be zero: bytes the
    // server sent ahead of its STARTTLS answer would otherwise be taken as TLS (or be injected).
    [[nodiscard]] std::size_t buffered() const noexcept { return buffer_.size() - start_; }
    [[nodiscard]] std::size_t total_read() const noexcept { return total_; }
    [[nodiscard]] Stream& stream() noexcept { return stream_; }

private:
    Expected<Done, NetError> fill(const Deadline& deadline);
    void compact() noexcept;

    Stream& stream_;
    ReaderLimits limits_;
    std::vector<unsigned char> buffer_;
    std::size_t start_ = 0;
    std::size_t total_ = 0;
};

}  // namespace tls_checks::net
