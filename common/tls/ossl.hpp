#pragma once
// RAII owners for the OpenSSL objects this project touches, the one initialisation, and the
// error-queue reader.

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <memory>
#include <string>

namespace tls_checks::tls {

template <auto Free>
struct OpenSslDeleter {
    template <class T>
    void operator()(T* object) const noexcept { Free(object); }
};

using SslCtxPtr = std::unique_ptr<SSL_CTX, OpenSslDeleter<&SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, OpenSslDeleter<&SSL_free>>;
using X509Ptr = std::unique_ptr<X509, OpenSslDeleter<&X509_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, OpenSslDeleter<&X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OpenSslDeleter<&X509_STORE_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<&BIO_free_all>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslDeleter<&EVP_PKEY_free>>;
using Pkcs12Ptr = std::unique_ptr<PKCS12, OpenSslDeleter<&PKCS12_free>>;

// Memory OpenSSL allocated for the caller (PEM_read_bio's name, header and data). OPENSSL_free
// is a macro, hence no OpenSslDeleter.
struct OpenSslFree {
    void operator()(void* memory) const noexcept { OPENSSL_free(memory); }
};
template <class T>
using OpenSslMemoryPtr = std::unique_ptr<T, OpenSslFree>;

inline void free_x509_stack(STACK_OF(X509) * stack) noexcept { sk_X509_pop_free(stack, X509_free); }
using X509StackPtr = std::unique_ptr<STACK_OF(X509), OpenSslDeleter<&free_x509_stack>>;

// Takes a new reference on a certificate that OpenSSL owns.
inline X509Ptr share(X509* certificate) {
    if (certificate != nullptr) X509_up_ref(certificate);
    return X509Ptr(certificate);
}

// Initialises OpenSSL for a plugin run; every entry point into OpenSSL calls it first (the
// handshake, certificate files), because its flags only count on the first initialisation.
void init_openssl() noexcept;

// Drains OpenSSL's error queue into one line ("error:0A000086:SSL routines::certificate verify
// failed; ..."), or returns `fallback` when the queue is empty.
std::string drain_openssl_errors(const std::string& fallback = "unknown OpenSSL error");

}  // namespace tls_checks::tls
