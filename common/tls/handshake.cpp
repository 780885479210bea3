#include "tls/handshake.hpp"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>

namespace tls_checks::tls {

void TlsSession::close() noexcept {
    if (connection && completed) {
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
    if (!set_supported_groups(context.get(), groups_to_offer()))
        return unexpected(TlsError{TlsErrorKind::io_error, "no key exchange group of ours is known to this OpenSSL"});
    // Reach servers that predate RFC 5746 secure renegotiation; we never renegotiate.
    SSL_CTX_set_options(context.get(), SSL_OP_LEGACY_SERVER_CONNECT);
    SSL_CTX_set_verify(context.get(), SSL_VERIFY_NONE, nullptr);
    return context;
}

// Records that the server sent a CertificateRequest: OpenSSL calls a client's certificate
// callback exactly then, whether or not a certificate is configured. Without one, an empty
// Certificate follows, as from a browser that has none.
int note_certificate_request(SSL* ssl, void* /*unused*/) {
    if (auto* requested = static_cast<bool*>(SSL_get_app_data(ssl))) *requested = true;
    return 1;
}

Expected<Done, TlsError> use_client_certificate(SSL_CTX* context, const HandshakeOptions& options) {
    if (!options.client_certificate) return Done{};
    const std::string& certificate = *options.client_certificate;
    const std::string& key = options.client_key.value_or(certificate);
    const auto failed = [](const std::string& what) {
        return unexpected(TlsError{TlsErrorKind::bad_client_certificate, what + ": " + drain_openssl_errors()});
    };
    if (SSL_CTX_use_certificate_chain_file(context, certificate.c_str()) != 1)
        return failed("cannot use client certificate " + certificate);
    if (SSL_CTX_use_PrivateKey_file(context, key.c_str(), SSL_FILETYPE_PEM) != 1)
        return failed("cannot use client key " + key);
    if (SSL_CTX_check_private_key(context) != 1) return failed("client key " + key + " does not match " + certificate);
    return Done{};
}

std::vector<X509Ptr> peer_chain_of(SSL* ssl) {
    std::vector<X509Ptr> chain;
    // On the client side the stack holds the leaf too, in the order the server sent it.
    if (STACK_OF(X509)* sent = SSL_get_peer_cert_chain(ssl)) {
        for (int i = 0; i < sk_X509_num(sent); ++i) chain.push_back(share(sk_X509_value(sent, i)));
    }
    return chain;
}

std::string peer_closed_message(const net::Socket& socket) {
    return socket.peer_text + " closed the connection during the TLS handshake";
}

// The deadline passed during the handshake, while waiting for the socket or inside OpenSSL while
// the server kept sending: "TLS handshake with 192.0.2.1:443 timed out after the server sent
// 1.2 MiB without finishing it". A server that sent nothing gets the plain message.
TlsError timed_out(SSL* ssl, const net::Socket& socket) {
    const std::uint64_t sent = deadline_bio_status(SSL_get_rbio(ssl)).bytes_read;
    return TlsError{TlsErrorKind::timed_out,
                    "TLS handshake with " + socket.peer_text + " timed out" +
                        (sent == 0 ? std::string() : " after the server sent " + byte_count_text(sent) + " without finishing it")};
}

// The BIO stopped OpenSSL: the deadline passed while the server kept sending, or the server
// sent more than a handshake can hold. nullopt when it did not.
std::optional<TlsError> stopped_by_bio(SSL* ssl, const net::Socket& socket) {
    const DeadlineBioStatus status = deadline_bio_status(SSL_get_rbio(ssl));
    switch (status.stop) {
        case BioStop::none: return std::nullopt;
        case BioStop::deadline: ERR_clear_error(); return timed_out(ssl, socket);
        case BioStop::read_limit:
            ERR_clear_error();
            return TlsError{TlsErrorKind::too_large, "TLS handshake with " + socket.peer_text + " exceeded " +
                                                         byte_count_text(status.read_limit) +
                                                         ": the server kept sending handshake data"};
    }
    return std::nullopt;
}

}  // namespace

bool openssl_has_hybrid_groups() noexcept { return OpenSSL_version_num() >= 0x30500000UL; }

std::vector<const char*> groups_to_offer() {
    std::vector<const char*> groups(std::begin(handshake_groups), std::end(handshake_groups));
    if (openssl_has_hybrid_groups())
        groups.insert(groups.begin() + 1, std::begin(hybrid_groups), std::end(hybrid_groups));
    return groups;
}

bool set_supported_groups(SSL_CTX* context, std::span<const char* const> names) {
    std::string all;
    for (const char* name : names) all += (all.empty() ? "" : ":") + std::string(name);
    if (SSL_CTX_set1_groups_list(context, all.c_str()) == 1) return true;
    ERR_clear_error();
    // Some name is unknown here: keep the ones this build has, in order.
    std::string known;
    for (const char* name : names) {
        if (SSL_CTX_set1_groups_list(context, name) == 1) known += (known.empty() ? "" : ":") + std::string(name);
    }
    ERR_clear_error();
    return !known.empty() && SSL_CTX_set1_groups_list(context, known.c_str()) == 1;
}

namespace {

// A new context with what `options` ask of every handshake.
Expected<SslCtxPtr, TlsError> configured_context(const HandshakeOptions& options) {
    auto context = make_context();
    if (!context) return unexpected(std::move(context.error()));
    if (auto used = use_client_certificate(context->get(), options); !used) return unexpected(std::move(used.error()));
    SSL_CTX_set_cert_cb(context->get(), note_certificate_request, nullptr);
    // SSL_CTX_set_tlsext_status_type() is a macro with a C cast; this is what it expands to.
    if (options.request_ocsp_staple)
        SSL_CTX_ctrl(context->get(), SSL_CTRL_SET_TLSEXT_STATUS_REQ_TYPE, TLSEXT_STATUSTYPE_ocsp, nullptr);
    return context;
}

// PKIX-TA(0) and PKIX-EE(1) records constrain WebPKI validation, which needs the trust store.
bool needs_pkix_store(const DaneRequest& dane) {
    return !dane.smtp && std::any_of(dane.records.begin(), dane.records.end(),
                                     [](const TlsaRecord& record) { return record.usage < 2; });
}

// A context for DANE handshakes: DANE enabled, and the WebPKI store loaded when PKIX-TA(0) or
// PKIX-EE(1) records need it.
Expected<SslCtxPtr, TlsError> dane_context(const HandshakeOptions& options) {
    auto context = configured_context(options);
    if (!context) return context;
    const DaneRequest& dane = *options.dane;
    if (SSL_CTX_dane_enable(context->get()) <= 0)
        return unexpected(TlsError{TlsErrorKind::io_error, "cannot enable DANE: " + drain_openssl_errors()});
    if (needs_pkix_store(dane)) {
        const int loaded = dane.ca_file || dane.ca_path
                               ? SSL_CTX_load_verify_locations(context->get(), dane.ca_file ? dane.ca_file->c_str() : nullptr,
                                                               dane.ca_path ? dane.ca_path->c_str() : nullptr)
                               : SSL_CTX_set_default_verify_paths(context->get());
        if (loaded != 1)
            return unexpected(TlsError{TlsErrorKind::io_error, "cannot load the trust anchors for PKIX TLSA records: " +
                                                                   drain_openssl_errors()});
    }
    return context;
}

// Gives the SSL the TLSA records of `dane`; says which ones OpenSSL (or RFC 7672) cannot use.
Expected<DaneOutcome, TlsError> start_dane(SSL* ssl, const DaneRequest& dane) {
    DaneOutcome outcome;
    if (SSL_dane_enable(ssl, dane.base_domain.c_str()) <= 0)
        return unexpected(TlsError{TlsErrorKind::io_error, "cannot enable DANE: " + drain_openssl_errors()});
    // DANE-EE(3) authenticates the key itself: names and dates do not matter (RFC 7671 5.1).
    (void)SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
    for (const auto& name : dane.other_names) (void)SSL_add1_host(ssl, name.c_str());
    for (const auto& record : dane.records) {
        if (dane.smtp && record.usage < 2) {
            outcome.unusable.push_back(tlsa_text(record) + ": " + usage_name(record.usage) +
                                       ", not used for SMTP (RFC 7672 3.1.3)");
            continue;
        }
        const int added = SSL_dane_tlsa_add(ssl, record.usage, record.selector, record.matching, record.data.data(),
                                            record.data.size());
        if (added > 0) {
            ++outcome.usable;
        } else {
            const std::string why = added == 0 ? "unsupported usage, selector or matching type"
                                               : "malformed (" + drain_openssl_errors() + ")";
            outcome.unusable.push_back(tlsa_text(record) + ": " + why);
        }
        ERR_clear_error();
    }
    return outcome;
}

// What DANE verification made of the handshake that just completed.
void finish_dane(SSL* ssl, DaneOutcome& outcome) {
    const long verified = SSL_get_verify_result(ssl);
    X509* matched_certificate = nullptr;
    EVP_PKEY* matched_key = nullptr;
    outcome.matched_depth = SSL_get0_dane_authority(ssl, &matched_certificate, &matched_key);
    if (outcome.matched_depth >= 0) {
        TlsaRecord record;
        const unsigned char* data = nullptr;
        std::size_t length = 0;
        if (SSL_get0_dane_tlsa(ssl, &record.usage, &record.selector, &record.matching, &data, &length) >= 0 &&
            data != nullptr) {
            record.data.assign(data, data + length);
            outcome.matched = std::move(record);
        }
    }
    outcome.authenticated = outcome.usable > 0 && outcome.matched_depth >= 0 && verified == X509_V_OK;
    if (!outcome.authenticated) {
        outcome.failure = outcome.usable == 0 ? "no usable TLSA record"
                          : verified != X509_V_OK ? X509_verify_cert_error_string(verified)
                                                  : "no TLSA record matched";
    }
}

// The context for `options`, made once per process and shared: the addresses of a name are
// handshaken with it in parallel (SSL_new() on a context that is no longer changed is
// thread-safe). Making the first one costs two fifths of a check's instructions (OpenSSL 3
// fetches every cipher and group from its providers); a second one still a tenth.
// What makes two handshakes' contexts differ.
struct ContextKey {
    std::optional<std::string> certificate;
    std::optional<std::string> key;
    bool staple = false;
    bool dane = false;
    bool pkix = false;  // DANE with PKIX-TA/PKIX-EE records: the WebPKI store below is loaded
    std::optional<std::string> ca_file;
    std::optional<std::string> ca_path;

    bool operator==(const ContextKey&) const = default;
};

ContextKey key_of(const HandshakeOptions& options) {
    ContextKey key{options.client_certificate, options.client_key, options.request_ocsp_staple, false, false, {}, {}};
    if (options.dane) {
        key.dane = true;
        key.pkix = needs_pkix_store(*options.dane);
        if (key.pkix) {
            key.ca_file = options.dane->ca_file;
            key.ca_path = options.dane->ca_path;
        }
    }
    return key;
}

// The context for `options`, made once per process and shared: the addresses of a name (every
// MX address of a mail domain) are handshaken with it in parallel (SSL_new() on a context that
// is no longer changed is thread-safe). Making the first one costs two fifths of a check's
// instructions (OpenSSL 3 fetches every cipher and group from its providers); a second one still
// a tenth. A run needs at most two (with and without DANE), so a few are kept.
Expected<SslCtxPtr, TlsError> shared_context(const HandshakeOptions& options) {
    static std::mutex mutex;
    // One reference each, for the process. Never destroyed: a static vector's destructor would
    // run at exit, before LeakSanitizer looks, and leave the contexts unreachable.
    static auto& made = *new std::vector<std::pair<ContextKey, SSL_CTX*>>;
    const ContextKey key = key_of(options);
    const std::lock_guard lock(mutex);
    for (const auto& [known, context] : made) {
        if (known == key) {
            SSL_CTX_up_ref(context);
            return SslCtxPtr(context);
        }
    }
    auto context = options.dane ? dane_context(options) : configured_context(options);
    if (!context) return unexpected(std::move(context.error()));
    if (made.size() == 4) {
        SSL_CTX_free(made.front().second);
        made.erase(made.begin());
    }
    SSL_CTX_up_ref(context->get());
    made.emplace_back(key, context->get());
    return std::move(*context);
}

}  // namespace

void prepare_handshakes(const HandshakeOptions& options) { (void)shared_context(options); }

Expected<TlsSession, TlsError> handshake(net::Socket& socket, const HandshakeOptions& options,
                                         const net::Deadline& deadline) {
    auto context = shared_context(options);
    if (!context) return unexpected(std::move(context.error()));
    TlsSession session;
    session.context = std::move(*context);
    session.connection.reset(SSL_new(session.context.get()));
    SSL* ssl = session.connection.get();
    if (ssl == nullptr) return unexpected(TlsError{TlsErrorKind::io_error, drain_openssl_errors()});
    // Not SSL_set_fd(): OpenSSL's socket BIO would let one SSL_connect() call read for as long
    // as the server sends.
    BIO* bio = new_deadline_bio(socket.fd());
    if (bio == nullptr) return unexpected(TlsError{TlsErrorKind::io_error, "cannot make a BIO: " + drain_openssl_errors()});
    SSL_set_bio(ssl, bio, bio);  // one reference, owned by the SSL from here
    arm_deadline_bio(bio, deadline, options.max_handshake_bytes);
    SSL_set_app_data(ssl, &session.client_certificate_requested);
    // SSL_set_tlsext_host_name() is a macro with a C cast; this is what it expands to.
    if (options.server_name && SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                                        const_cast<char*>(options.server_name->c_str())) != 1)
        return unexpected(TlsError{TlsErrorKind::io_error, "cannot set SNI: " + drain_openssl_errors()});
    if (options.dane) {
        auto started = start_dane(ssl, *options.dane);
        if (!started) return unexpected(std::move(started.error()));
        session.dane = std::move(*started);
    }

    // A server that wants a client certificate we do not have (TLS 1.2 and older) ends the
    // handshake after its own certificates, with an alert or a close: its chain has arrived and
    // is still judged, and the caller says why nothing more could be done.
    const auto ended_after_certificate_request = [&](std::string how) -> bool {
        if (!session.client_certificate_requested) return false;
        if (peer_chain_of(ssl).empty()) return false;
        session.completed = false;
        session.ended_by = std::move(how);
        return true;
    };
    ERR_clear_error();
    for (;;) {
        errno = 0;
        const int result = SSL_connect(ssl);
        if (result == 1) break;
        if (auto stopped = stopped_by_bio(ssl, socket)) return unexpected(std::move(*stopped));
        const int reason = SSL_get_error(ssl, result);
        short wait_for = 0;
        if (reason == SSL_ERROR_WANT_READ) wait_for = POLLIN;
        else if (reason == SSL_ERROR_WANT_WRITE) wait_for = POLLOUT;
        if (wait_for != 0) {
            if (auto ready = socket.wait(wait_for, deadline); !ready) return unexpected(timed_out(ssl, socket));
            continue;
        }
        // The peer closed: a close_notify, a reset, or (OpenSSL 3) an SSL error "unexpected eof
        // while reading" for a close without close_notify, rather than SSL_ERROR_SYSCALL.
        bool peer_closed = reason == SSL_ERROR_ZERO_RETURN;
        if (reason == SSL_ERROR_SYSCALL) {
            const int saved = errno;
            const std::string queued = drain_openssl_errors("");
            if (saved != 0 && saved != ECONNRESET && saved != EPIPE)
                return unexpected(TlsError{TlsErrorKind::io_error, "TLS handshake with " + socket.peer_text + ": " +
                                                                       (queued.empty() ? std::strerror(saved) : queued)});
            peer_closed = true;
        }
        const unsigned long last = ERR_peek_last_error();
        if (ERR_GET_LIB(last) == ERR_LIB_SSL && ERR_GET_REASON(last) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
            ERR_clear_error();
            peer_closed = true;
        }
        if (peer_closed) {
            if (ended_after_certificate_request("a close")) break;
            return unexpected(TlsError{TlsErrorKind::closed, peer_closed_message(socket)});
        }
        const std::string why = drain_openssl_errors();
        if (ended_after_certificate_request(why)) break;
        return unexpected(TlsError{TlsErrorKind::handshake_failed, "TLS handshake with " + socket.peer_text + " failed: " + why});
    }

    // SSL_get_tlsext_status_ocsp_resp(), without the macro's C cast.
    const unsigned char* staple = nullptr;
    const long staple_length = SSL_ctrl(ssl, SSL_CTRL_GET_TLSEXT_STATUS_REQ_OCSP_RESP, 0, &staple);
    if (staple != nullptr && staple_length > 0)
        session.stapled_ocsp.assign(staple, staple + staple_length);

    session.protocol = SSL_get_version(ssl);
    if (const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl)) {
        session.cipher = SSL_CIPHER_get_name(cipher);
        const int exchange = SSL_CIPHER_get_kx_nid(cipher);  // NID_kx_any: TLS 1.3, always signed
        session.server_signed_key_exchange =
            exchange == NID_kx_any || exchange == NID_kx_ecdhe || exchange == NID_kx_dhe;
    }
    session.peer_chain = peer_chain_of(ssl);
    if (session.dane) finish_dane(ssl, *session.dane);
    if (session.peer_chain.empty()) {
        return unexpected(TlsError{TlsErrorKind::handshake_failed,
                                   socket.peer_text + " completed the handshake without a certificate"});
    }
    return session;
}

}  // namespace tls_checks::tls
