#pragma once
// A TLS client handshake over an already connected socket, bounded by the run's deadline.
//
// The handshake exists to fetch facts, not to protect data: it runs at security level 0 with
// every protocol version OpenSSL has and verification deferred, so that a weak key, a SHA-1
// signature, an old protocol or an untrusted chain is reported precisely instead of surfacing
// as a generic handshake failure.

#include <optional>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "net/deadline.hpp"
#include "net/socket.hpp"
#include "tls/ossl.hpp"

namespace tls_checks::tls {

struct HandshakeOptions {
    std::optional<std::string> server_name;  // SNI; never an IP literal (RFC 6066, section 3)
};

struct TlsSession {
    SslCtxPtr context;
    SslPtr connection;
    std::string protocol;            // "TLSv1.3"
    std::string cipher;              // "TLS_AES_256_GCM_SHA384"
    // The server proved its key with a signature (TLS 1.3, or an ECDHE/DHE suite) rather than
    // by decrypting an RSA key exchange: the leaf needs digitalSignature (RFC 8446 4.4.2.2).
    bool server_signed_key_exchange = false;
    std::vector<X509Ptr> peer_chain; // as presented, leaf first

    // Sends close_notify without waiting for the peer's answer.
    void close() noexcept;
};

enum class TlsErrorKind { timed_out, closed, handshake_failed, io_error };

struct TlsError {
    TlsErrorKind kind;
    std::string message;
};

Expected<TlsSession, TlsError> handshake(net::Socket& socket, const HandshakeOptions& options,
                                         const net::Deadline& deadline);

}  // namespace tls_checks::tls
