#pragma once
// The BIO every SSL of this project reads and writes through: a connected non-blocking socket
// whose every read and write is bounded by the run's deadline and whose reads are bounded by a
// byte budget.
//
// Why not OpenSSL's socket BIO: one SSL_connect() or SSL_read() call may loop inside OpenSSL
// for as long as bytes arrive (a client ignores a HelloRequest during a handshake and reads the
// next message; a TLS 1.3 client processes post-handshake messages in SSL_read and reads on),
// and the caller's deadline check only runs once that call returns. This BIO sees every read
// OpenSSL makes, so it ends such a loop: once the deadline has passed, or once the budget is
// spent, every read fails (no retry), and the SSL call returns. The reason is recorded here, for
// the caller to say which it was.
//
// It never waits (unless set to, below): with nothing to read (or no room to write) it asks OpenSSL to retry, and the
// caller waits on the socket with poll() bounded by the same deadline (SSL_ERROR_WANT_READ/WRITE).

#include <cstddef>
#include <cstdint>
#include <string>

#include "net/deadline.hpp"
#include "tls/ossl.hpp"

namespace tls_checks::tls {

// The most one handshake may read from the server, record headers included; the same budget
// applies to each TlsStream read or write after it (one SSL_read may have to process a whole
// renegotiation). Real servers send less than 20 KiB, and a 200-certificate chain about 86 KB;
// OpenSSL itself refuses a Certificate message over 100 KiB (SSL_CTX_set_max_cert_list). A
// server still sending after 256 KiB is flooding: at loopback speed the limit is reached in
// milliseconds, long before any deadline.
inline constexpr std::size_t handshake_read_limit = 256 * 1024;

enum class BioStop {
    none,
    deadline,    // a read or write came after the deadline
    read_limit,  // a read came after the budget was spent
};

struct DeadlineBioStatus {
    BioStop stop = BioStop::none;
    std::uint64_t bytes_read = 0;  // since the last arm_deadline_bio()
    std::size_t read_limit = 0;
};

// A BIO over the connected non-blocking socket `fd`, which it does not close. Unarmed, it
// bounds nothing. nullptr when OpenSSL cannot allocate it.
BIO* new_deadline_bio(int fd);

// From now on, fails every read and write once `deadline` has passed, and every read once
// `read_limit` bytes have been read since this call (a read never goes past the limit). Clears
// a previous stop and the byte count. Does nothing to a BIO that is not a deadline BIO.
void arm_deadline_bio(BIO* bio, const net::Deadline& deadline, std::size_t read_limit) noexcept;

// Waiting mode, for OpenSSL's HTTP client, which treats a retry as "wait with select() for up to
// the next whole second": the BIO itself then waits with poll() for the socket, bounded by the
// deadline, and fails (no retry) when the deadline passes.
void set_deadline_bio_waiting(BIO* bio, bool waits) noexcept;

// What the BIO recorded since it was last armed; all zero for a BIO that is not a deadline BIO.
DeadlineBioStatus deadline_bio_status(BIO* bio) noexcept;

// A byte count for messages: "900 bytes", "256 KiB", "12.3 MiB".
std::string byte_count_text(std::uint64_t bytes);

}  // namespace tls_checks::tls
