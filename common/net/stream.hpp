#pragma once
// A byte stream bounded by the run's deadline: a plain socket before STARTTLS, a TLS session
// after it. Dialogs and readers work on either.

#include <cstddef>
#include <span>
#include <string>

#include "base/expected.hpp"
#include "net/deadline.hpp"
#include "net/error.hpp"

namespace tls_checks::net {

class Stream {
public:
    Stream() = default;
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;
    virtual ~Stream() = default;

    // Reads what is available (at least one byte), waiting until the deadline. An orderly close
    // by the peer is NetErrorKind::closed.
    virtual Expected<std::size_t, NetError> read_some(std::span<unsigned char> buffer, const Deadline& deadline) = 0;
    // Writes every byte or fails.
    virtual Expected<Done, NetError> write_all(std::span<const unsigned char> bytes, const Deadline& deadline) = 0;
    // Who is at the other end, for messages ("127.0.0.1:25").
    [[nodiscard]] virtual const std::string& peer() const = 0;

protected:
    Stream(Stream&&) = default;
    Stream& operator=(Stream&&) = default;
};

}  // namespace tls_checks::net
