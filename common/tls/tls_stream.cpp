#include "tls/tls_stream.hpp"

#include <openssl/err.h>
#include <poll.h>

#include <climits>

#include "tls/deadline_bio.hpp"

namespace tls_checks::tls {

namespace {

// Bounds the next SSL_read/SSL_write call by the deadline and handshake_read_limit: OpenSSL
// reads on inside one call for as long as the server sends records that carry no application
// data (TLS 1.3 KeyUpdate or NewSessionTicket messages, a renegotiation's HelloRequests).
void arm(SSL* ssl, const net::Deadline& deadline) noexcept {
    arm_deadline_bio(SSL_get_rbio(ssl), deadline, handshake_read_limit);
}

// What an SSL_read/SSL_write result asks for: wait for the socket, or give up with an error.
Expected<short, net::NetError> wanted_events(SSL* ssl, int result, const std::string& peer) {
    const DeadlineBioStatus status = deadline_bio_status(SSL_get_rbio(ssl));
    if (status.stop == BioStop::deadline) {
        ERR_clear_error();
        return unexpected(net::NetError{net::NetErrorKind::timed_out,
                                        "TLS with " + peer + " timed out" +
                                            (status.bytes_read == 0 ? std::string()
                                                                    : " after the server sent " +
                                                                          byte_count_text(status.bytes_read) +
                                                                          " without application data")});
    }
    if (status.stop == BioStop::read_limit) {
        ERR_clear_error();
        return unexpected(net::NetError{net::NetErrorKind::too_much_data,
                                        "TLS with " + peer + ": more than " + byte_count_text(status.read_limit) +
                                            " without application data"});
    }
    switch (SSL_get_error(ssl, result)) {
        case SSL_ERROR_WANT_READ: return short{POLLIN};
        case SSL_ERROR_WANT_WRITE: return short{POLLOUT};
        case SSL_ERROR_ZERO_RETURN:
            return unexpected(net::NetError{net::NetErrorKind::closed, peer + " closed the TLS session"});
        case SSL_ERROR_SYSCALL:
            ERR_clear_error();
            return unexpected(net::NetError{net::NetErrorKind::closed, peer + " closed the connection"});
        default:
            return unexpected(net::NetError{net::NetErrorKind::io_error, "TLS with " + peer + ": " + drain_openssl_errors()});
    }
}

int clamp_size(std::size_t size) { return size > INT_MAX ? INT_MAX : static_cast<int>(size); }

}  // namespace

Expected<std::size_t, net::NetError> TlsStream::read_some(std::span<unsigned char> buffer, const net::Deadline& deadline) {
    SSL* ssl = session_.connection.get();
    arm(ssl, deadline);
    for (;;) {
        const int got = SSL_read(ssl, buffer.data(), clamp_size(buffer.size()));
        if (got > 0) return static_cast<std::size_t>(got);
        auto events = wanted_events(ssl, got, peer());
        if (!events) return unexpected(std::move(events.error()));
        if (auto ready = socket_.wait(*events, deadline); !ready) return unexpected(std::move(ready.error()));
    }
}

Expected<Done, net::NetError> TlsStream::write_all(std::span<const unsigned char> bytes, const net::Deadline& deadline) {
    SSL* ssl = session_.connection.get();
    arm(ssl, deadline);
    while (!bytes.empty()) {
        const int sent = SSL_write(ssl, bytes.data(), clamp_size(bytes.size()));
        if (sent > 0) {
            bytes = bytes.subspan(static_cast<std::size_t>(sent));
            continue;
        }
        auto events = wanted_events(ssl, sent, peer());
        if (!events) return unexpected(std::move(events.error()));
        if (auto ready = socket_.wait(*events, deadline); !ready) return unexpected(std::move(ready.error()));
    }
    return Done{};
}

}  // namespace tls_checks::tls
