#pragma once
// A bounded reader over a socket: lines for text protocols, exact byte counts for binary ones.
// Every byte read counts against a total cap, so an endless reply cannot keep a check alive.

#include <cstddef>
#include <optional>
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

// Anything that holds bytes received from a peer and not yet consumed: the reader below, and any
// parser stacked on it that keeps bytes of its own (the XMPP dialog's XML scanner). A STARTTLS
// dialog asks every one of them before the handshake: each byte still held there is a byte the
// server sent beyond the reply that let the handshake start.
class ReceiveBuffer {
public:
    ReceiveBuffer() = default;
    ReceiveBuffer(const ReceiveBuffer&) = delete;
    ReceiveBuffer& operator=(const ReceiveBuffer&) = delete;
    virtual ~ReceiveBuffer() = default;

    // Bytes received but not handed out (or, for a parser, not part of anything it returned).
    [[nodiscard]] virtual std::size_t buffered() const noexcept = 0;

protected:
    ReceiveBuffer(ReceiveBuffer&&) = default;
    ReceiveBuffer& operator=(ReceiveBuffer&&) = default;
};

class LineReader final : public ReceiveBuffer {
public:
    explicit LineReader(Stream& stream, ReaderLimits limits = {}) : stream_(stream), limits_(limits) {}

    // The next line without its terminator ("\r\n" or a bare "\n").
    Expected<std::string, NetError> read_line(const Deadline& deadline);
    // Whatever is buffered, or else whatever one read brings (at least one byte): for protocols
    // framed by neither lines nor lengths (XMPP).
    Expected<std::string, NetError> read_available(const Deadline& deadline);
    // Exactly `count` bytes.
    Expected<std::vector<unsigned char>, NetError> read_exact(std::size_t count, const Deadline& deadline);
    // The next line when it is already complete in the buffer, without reading from the stream
    // and without taking it (read_line then returns it at once); nullopt when it is not complete
    // (or is longer than the line cap: read_line reports that).
    [[nodiscard]] std::optional<std::string> peek_line() const;

    // Bytes received but not yet handed out. Before a TLS handshake this must be zero: bytes the
    // server sent ahead of its STARTTLS answer would otherwise be taken as TLS (or be injected).
    [[nodiscard]] std::size_t buffered() const noexcept override { return buffer_.size() - start_; }
    [[nodiscard]] std::size_t total_read() const noexcept { return total_; }
    [[nodiscard]] Stream& stream() noexcept { return stream_; }

private:
    enum class Scan { line, incomplete, too_long };
    // The line that starts at start_, when its end lies at or after `from` (bytes before `from`
    // are known to hold no newline); `end` is the offset just past its terminator.
    Scan find_line(std::size_t from, std::string& line, std::size_t& end) const;
    Expected<Done, NetError> fill(const Deadline& deadline);
    void compact() noexcept;

    Stream& stream_;
    ReaderLimits limits_;
    std::vector<unsigned char> buffer_;
    std::size_t start_ = 0;
    std::size_t total_ = 0;
};

}  // namespace tls_checks::net
