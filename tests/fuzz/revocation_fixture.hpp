#pragma once
// An issuer and a leaf made in memory once per fuzzing process, for the OCSP and CRL targets:
// the bytes under test are the response, not the certificates.

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>

#include "tls/ossl.hpp"

namespace fuzzing {

struct RevocationFixture {
    tls_checks::tls::X509Ptr issuer;
    tls_checks::tls::X509Ptr leaf;
};

inline tls_checks::tls::X509Ptr make_certificate(const char* name, EVP_PKEY* key, EVP_PKEY* signer, X509* issuer,
                                                 long serial, bool ca) {
    tls_checks::tls::X509Ptr certificate(X509_new());
    X509_set_version(certificate.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(certificate.get()), serial);
    X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -86400);
    X509_gmtime_adj(X509_getm_notAfter(certificate.get()), 86400L * 365);
    X509_set_pubkey(certificate.get(), key);
    X509_NAME* subject = X509_get_subject_name(certificate.get());
    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(name), -1, -1, 0);
    X509_set_issuer_name(certificate.get(), issuer != nullptr ? X509_get_subject_name(issuer) : subject);
    if (ca) {
        X509V3_CTX context;
        X509V3_set_ctx_nodb(&context);
        X509V3_set_ctx(&context, certificate.get(), certificate.get(), nullptr, nullptr, 0);
        if (X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, NID_basic_constraints, "critical,CA:TRUE")) {
            X509_add_ext(certificate.get(), extension, -1);
            X509_EXTENSION_free(extension);
        }
    }
    X509_sign(certificate.get(), signer, EVP_sha256());
    return certificate;
}

inline const RevocationFixture& revocation_fixture() {
    static const RevocationFixture made = [] {
        tls_checks::tls::init_openssl();
        EVP_PKEY* issuer_key = EVP_EC_gen("P-256");
        EVP_PKEY* leaf_key = EVP_EC_gen("P-256");
        RevocationFixture fixture;
        fixture.issuer = make_certificate("fuzz issuer", issuer_key, issuer_key, nullptr, 1, true);
        fixture.leaf = make_certificate("fuzz leaf", leaf_key, issuer_key, fixture.issuer.get(), 2, false);
        EVP_PKEY_free(issuer_key);
        EVP_PKEY_free(leaf_key);
        return fixture;
    }();
    return made;
}

}  // namespace fuzzing
