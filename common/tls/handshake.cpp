#include "tls/handshake.hpp"

#include <openssl/err.h>
#include <poll.h>

#include <cerrno>
#include <cstring>

namespace tls_checks::tls {

void TlsSession::close() noexcept {
    if (connection) {
        (void)SSL_shutdown(connection.get());
        ERR_clear_error();
    }
}

namespace {

Expected<SslCtxPtr, TlsError> make_context() {
    init_openssl();
    SslCtxPtr context(SSL_CTX_new(TLS_client_method()));
    if (!context) return unexpected(TlsError{TlsErrorKind::io_error, drain_openssl_errors()});
    SSL_CTX_set_security_level(context.get(), 0);
    // 0 = the lowest version this OpenSSL build has (TLS 1.0 on Debian 12).
    SSL_CTX_set_min_proto_version(context.get(), 0);
    SSL_CTX_set_max_proto_version(context.get(), 0);
    if (SSL_CTX_set_cipher_list(context.get(), "ALL:@SECLEVEL=0") != 1)
        return unexpected(TlsError{TlsErrorKind::io_error, drain_openssl_errors()});
    // OpenSSL's default groups stop at P-256/P-384/P-521; a server whose ECDSA certificate is on
    // a smaller curve then fails the handshake instead of being reported as weak. Offering the
    // small curves last keeps X25519 the preferred key share.
    if (SSL_CTX_set1_groups_list(context.get(),
                                 "X25519:P-256:X448:P-521:P-384:secp224r1:secp192r1:"
                                 "ffdhe2048:ffdhe3072:ffdhe4096:ffdhe6144:ffdhe8192") != 1)
        return unexpected(TlsError{TlsErrorKind::io_error, drain_openssl_errors()});
    // Reach servers that predate RFC 5746 secure renegotiation; we never renegotiate.
    SSL_CTX_set_options(context.get(), SSL_OP_LEGACY_SERVER_CONNECT);
    SSL_CTX_set_verify(context.get(), SSL_VERIFY_NONE, nullptr);
    return context;
}

std::string peer_closed_message(const net::Socket& socket) {
    return socket.peer_text + " closed the connection during the TLS handshake";
}

}  // namespace

Expected<TlsSession, TlsError> handshake(net::Socket& socket, const HandshakeOptions& options,
                                         const net::Deadline& deadline) {
    auto context = make_context();
    if (!context) return unexpected(std::move(context.error()));
    TlsSession session;
    session.context = std::move(*context);
    session.connection.reset(SSL_new(session.context.get()));
    SSL* ssl = session.connection.get();
    if (ssl == nullptr || SSL_set_fd(ssl, socket.fd()) != 1)
        return unexpected(TlsError{TlsErrorKind::io_error, drain_openssl_errors()});
    // SSL_set_tlsext_host_name() is a macro with a C cast; this is what it expands to.
    if (options.server_name && SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                                        const_cast<char*>(options.server_name->c_str())) != 1)
        return unexpected(TlsError{TlsErrorKind::io_error, "cannot set SNI: " + drain_openssl_errors()});

    ERR_clear_error();
    for (;;) {
        errno = 0;
        const int result = SSL_connect(ssl);
        if (result == 1) break;
        const int reason = SSL_get_error(ssl, result);
        short wait_for = 0;
        if (reason == SSL_ERROR_WANT_READ) wait_for = POLLIN;
        else if (reason == SSL_ERROR_WANT_WRITE) wait_for = POLLOUT;
        if (wait_for != 0) {
            if (auto ready = socket.wait(wait_for, deadline); !ready) {
                return unexpected(TlsError{TlsErrorKind::timed_out,
                                           "TLS handshake with " + socket.peer_text + " timed out"});
            }
            continue;
        }
        if (reason == SSL_ERROR_ZERO_RETURN) return unexpected(TlsError{TlsErrorKind::closed, peer_closed_message(socket)});
        if (reason == SSL_ERROR_SYSCALL) {
            const int saved = errno;
            const std::string queued = drain_openssl_errors("");
            if (saved == 0 || saved == ECONNRESET || saved == EPIPE)
                return unexpected(TlsError{TlsErrorKind::closed, peer_closed_message(socket)});
            return unexpected(TlsError{TlsErrorKind::io_error, "TLS handshake with " + socket.peer_text + ": " +
                                                                   (queued.empty() ? std::strerror(saved) : queued)});
        }
        return unexpected(TlsError{TlsErrorKind::handshake_failed,
                                   "TLS handshake with " + socket.peer_text + " failed: " + drain_openssl_errors()});
    }

    session.protocol = SSL_get_version(ssl);
    if (const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl)) {
        session.cipher = SSL_CIPHER_get_name(cipher);
        const int exchange = SSL_CIPHER_get_kx_nid(cipher);  // NID_kx_any: TLS 1.3, always signed
        session.server_signed_key_exchange =
            exchange == NID_kx_any || exchange == NID_kx_ecdhe || exchange == NID_kx_dhe;
    }
    // On the client side the stack holds the leaf too, in the order the server sent it.
    if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl)) {
        for (int i = 0; i < sk_X509_num(chain); ++i) session.peer_chain.push_back(share(sk_X509_value(chain, i)));
    }
    if (session.peer_chain.empty()) {
        return unexpected(TlsError{TlsErrorKind::handshake_failed,
                                   socket.peer_text + " completed the handshake without a certificate"});
    }
    return session;
}

}  // namespace tls_checks::tls
