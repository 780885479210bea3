#pragma once
// A TLS client handshake over an already connected socket, bounded by the run's deadline.
//
// The handshake exists to fetch facts, not to protect data: it runs at security level 0 with
// every protocol version OpenSSL has and verification deferred, so that a weak key, a SHA-1
// signature, an old protocol or an untrusted chain is reported precisely instead of surfacing
// as a generic handshake failure.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "net/deadline.hpp"
#include "net/socket.hpp"
#include "tls/dane.hpp"
#include "tls/deadline_bio.hpp"
#include "tls/ossl.hpp"

namespace tls_checks::tls {

struct HandshakeOptions {
    std::optional<std::string> server_name;  // SNI; never an IP literal (RFC 6066, section 3)
    // A client certificate (PEM, leaf first, may hold its chain) and its key (PEM; may be the
    // same file), for mutual-TLS services.
    std::optional<std::string> client_certificate;
    std::optional<std::string> client_key;
    // The most the handshake may read from the server (record headers included) before it is
    // refused as too large: a server that keeps sending handshake messages (an endless stream
    // of HelloRequests, say) keeps OpenSSL reading inside one SSL_connect() call otherwise.
    std::size_t max_handshake_bytes = handshake_read_limit;
    // Ask for a stapled OCSP response (status_request, RFC 6066 8); the server may ignore it.
    bool request_ocsp_staple = true;
    // Verify the server against these TLSA records with OpenSSL's DANE support; the handshake
    // completes whatever the outcome, which TlsSession.dane holds.
    std::optional<DaneRequest> dane;
};

// The key exchange groups offered, most preferred first. OpenSSL's default groups stop at
// P-256/P-384/P-521; a server whose ECDSA certificate is on a smaller curve would then fail the
// handshake instead of being reported as weak, so the small curves come last. X25519 stays
// first, so its key share is the one sent; a server that wants a hybrid group asks for it with
// a HelloRetryRequest.
inline constexpr const char* handshake_groups[] = {
    "X25519", "P-256", "X448", "P-521", "P-384", "secp224r1", "secp192r1",
    "ffdhe2048", "ffdhe3072", "ffdhe4096", "ffdhe6144", "ffdhe8192"};
// The ML-KEM hybrids (draft-ietf-tls-ecdhe-mlkem), offered after X25519 where OpenSSL has them
// (3.5 and later): a server that accepts only X25519MLKEM768 is then reached.
inline constexpr const char* hybrid_groups[] = {"X25519MLKEM768", "SecP256r1MLKEM768", "SecP384r1MLKEM1024"};

// handshake_groups with hybrid_groups after X25519 when this OpenSSL is 3.5 or later. Asking
// the version saves every run on older builds a list that would be refused and filtered.
std::vector<const char*> groups_to_offer();

// Whether this OpenSSL (at run time) has the ML-KEM hybrid groups: 3.5 and later.
bool openssl_has_hybrid_groups() noexcept;

// Sets `names` as the context's groups, leaving out the ones this OpenSSL build does not have
// (Fedora, RHEL and FIPS builds lack secp192r1, secp224r1 or X448): SSL_CTX_set1_groups_list()
// refuses a whole list for one unknown name. False only when none is known.
bool set_supported_groups(SSL_CTX* context, std::span<const char* const> names);

struct TlsSession {
    SslCtxPtr context;
    SslPtr connection;
    std::string protocol;            // "TLSv1.3"
    std::string cipher;              // "TLS_AES_256_GCM_SHA384"
    // The server proved its key with a signature (TLS 1.3, or an ECDHE/DHE suite) rather than
    // by decrypting an RSA key exchange: the leaf needs digitalSignature (RFC 8446 4.4.2.2).
    bool server_signed_key_exchange = false;
    std::vector<X509Ptr> peer_chain; // as presented, leaf first
    // The server asked for a client certificate (CertificateRequest).
    bool client_certificate_requested = false;
    // False when the server ended the handshake after sending its certificates and asking for
    // a client certificate (TLS 1.2 and older): it wanted one we do not have, or refused the one
    // we sent. `ended_by` says how ("sslv3 alert handshake failure"). The chain is still there
    // to be judged; nothing can be read or written.
    bool completed = true;
    std::string ended_by;
    // The OCSP response the server stapled (DER), empty when it sent none.
    std::vector<std::uint8_t> stapled_ocsp;
    // With HandshakeOptions.dane: what DANE verification found.
    std::optional<DaneOutcome> dane;

    // Sends close_notify without waiting for the peer's answer.
    void close() noexcept;
};

enum class TlsErrorKind {
    timed_out,               // the deadline passed (while waiting, or while the server kept sending)
    closed,
    handshake_failed,
    io_error,
    bad_client_certificate,
    too_large,               // the server sent more than max_handshake_bytes without finishing
};

struct TlsError {
    TlsErrorKind kind;
    std::string message;
};

// Makes the shared context that handshakes with `options` will use, ahead of time: a plugin that
// must wait for something else first (check_mail_tls, for DNS) does this meanwhile on another
// thread, since making the first context costs two fifths of a simple check's instructions.
void prepare_handshakes(const HandshakeOptions& options);

// Every read and write OpenSSL makes goes through a deadline BIO (tls/deadline_bio.hpp) armed
// with `deadline` and options.max_handshake_bytes, so the deadline holds inside OpenSSL too.
Expected<TlsSession, TlsError> handshake(net::Socket& socket, const HandshakeOptions& options,
                                         const net::Deadline& deadline);

}  // namespace tls_checks::tls
