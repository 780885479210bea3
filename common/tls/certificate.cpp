#include "tls/certificate.hpp"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <array>
#include <ctime>
#include <memory>

#include "tls/ossl.hpp"

namespace tls_checks::tls {

namespace {

std::string name_text(const X509_NAME* name) {
    if (name == nullptr) return "";
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio) return "";
    // RFC 2253 with control characters escaped, UTF-8 kept as it is.
    if (X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) return "";
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio.get(), &data);
    return length > 0 ? std::string(data, static_cast<std::size_t>(length)) : std::string();
}

std::string asn1_string_utf8(const ASN1_STRING* value) {
    unsigned char* utf8 = nullptr;
    const int length = ASN1_STRING_to_UTF8(&utf8, value);
    if (length < 0) return "";
    std::string out(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
    OPENSSL_free(utf8);
    return out;
}

std::vector<std::string> common_names(const X509_NAME* subject) {
    std::vector<std::string> names;
    int index = -1;
    while ((index = X509_NAME_get_index_by_NID(subject, NID_commonName, index)) >= 0) {
        const X509_NAME_ENTRY* entry = X509_NAME_get_entry(subject, index);
        names.push_back(asn1_string_utf8(X509_NAME_ENTRY_get_data(entry)));
    }
    return names;
}

void read_subject_alt_names(X509* certificate, CertificateNames& names) {
    auto* general_names =
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
    if (general_names == nullptr) return;
    const std::unique_ptr<GENERAL_NAMES, decltype(&GENERAL_NAMES_free)> owned(general_names, &GENERAL_NAMES_free);
    names.has_subject_alt_name = true;
    for (int i = 0; i < sk_GENERAL_NAME_num(general_names); ++i) {
        const GENERAL_NAME* entry = sk_GENERAL_NAME_value(general_names, i);
        int type = 0;
        auto* value = static_cast<const ASN1_STRING*>(GENERAL_NAME_get0_value(entry, &type));
        if (value == nullptr) continue;
        const auto* data = ASN1_STRING_get0_data(value);
        const auto length = static_cast<std::size_t>(ASN1_STRING_length(value));
        if (type == GEN_DNS) {
            names.dns_names.emplace_back(reinterpret_cast<const char*>(data), length);
        } else if (type == GEN_IPADD) {
            names.ip_addresses.emplace_back(data, data + length);
        }
    }
}

PublicKeyFacts key_facts(X509* certificate) {
    PublicKeyFacts facts;
    EVP_PKEY* key = X509_get0_pubkey(certificate);
    if (key == nullptr) {
        facts.type = "unknown";
        return facts;
    }
    facts.bits = EVP_PKEY_get_bits(key);
    switch (EVP_PKEY_get_base_id(key)) {
        case EVP_PKEY_RSA:
        case EVP_PKEY_RSA_PSS: facts.type = "RSA"; break;
        case EVP_PKEY_DSA: facts.type = "DSA"; break;
        case EVP_PKEY_EC: facts.type = "EC"; break;
        case EVP_PKEY_ED25519: facts.type = "ED25519"; break;
        case EVP_PKEY_ED448: facts.type = "ED448"; break;
        case EVP_PKEY_DH: facts.type = "DH"; break;
        default: {
            const char* name = EVP_PKEY_get0_type_name(key);
            facts.type = name != nullptr ? name : "unknown";
        }
    }
    if (facts.type == "EC") {
        std::array<char, 80> curve{};
        std::size_t length = 0;
        if (EVP_PKEY_get_utf8_string_param(key, "group", curve.data(), curve.size(), &length) == 1)
            facts.curve.assign(curve.data(), length);
    }
    return facts;
}

SignatureFacts signature_facts(const X509* certificate) {
    SignatureFacts facts;
    const int signature_nid = X509_get_signature_nid(certificate);
    const char* long_name = OBJ_nid2ln(signature_nid);
    facts.algorithm = long_name != nullptr ? long_name : "unknown";
    int digest_nid = NID_undef;
    int key_nid = NID_undef;
    int security_bits = 0;
    std::uint32_t flags = 0;
    if (X509_get_signature_info(const_cast<X509*>(certificate), &digest_nid, &key_nid, &security_bits, &flags) == 1 &&
        digest_nid != NID_undef) {
        const char* digest_name = OBJ_nid2sn(digest_nid);
        facts.digest = digest_name != nullptr ? digest_name : "";
        facts.weak_digest = digest_nid == NID_md2 || digest_nid == NID_md4 || digest_nid == NID_md5 ||
                            digest_nid == NID_sha1 || digest_nid == NID_md5_sha1;
    } else if (signature_nid == NID_md5WithRSAEncryption || signature_nid == NID_sha1WithRSAEncryption ||
               signature_nid == NID_md2WithRSAEncryption || signature_nid == NID_md4WithRSAEncryption) {
        // A digest OpenSSL no longer offers still tells us the signature is weak.
        facts.weak_digest = true;
    }
    return facts;
}

std::string hex(const unsigned char* data, std::size_t length, bool colons) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    for (std::size_t i = 0; i < length; ++i) {
        if (colons && i > 0) out += ':';
        out += digits[data[i] >> 4u];
        out += digits[data[i] & 0x0Fu];
    }
    return out;
}

std::string serial_text(X509* certificate) {
    const ASN1_INTEGER* serial = X509_get0_serialNumber(certificate);
    const std::unique_ptr<BIGNUM, decltype(&BN_free)> number(ASN1_INTEGER_to_BN(serial, nullptr), &BN_free);
    if (!number) return "";
    char* text = BN_bn2hex(number.get());
    if (text == nullptr) return "";
    std::string out(text);
    OPENSSL_free(text);
    return out;
}

std::string fingerprint(const X509* certificate) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (X509_digest(certificate, EVP_sha256(), digest.data(), &length) != 1) return "";
    return hex(digest.data(), length, true);
}

}  // namespace

std::int64_t epoch_seconds(const ASN1_TIME* time) {
    std::tm broken_down{};
    if (time == nullptr || ASN1_TIME_to_tm(time, &broken_down) != 1) return 0;
    return static_cast<std::int64_t>(timegm(&broken_down));
}

CertificateFacts describe_certificate(X509* certificate) {
    CertificateFacts facts;
    facts.subject = name_text(X509_get_subject_name(certificate));
    facts.issuer = name_text(X509_get_issuer_name(certificate));
    facts.names.common_names = common_names(X509_get_subject_name(certificate));
    if (!facts.names.common_names.empty()) facts.common_name = facts.names.common_names.front();
    read_subject_alt_names(certificate, facts.names);
    facts.not_before = epoch_seconds(X509_get0_notBefore(certificate));
    facts.not_after = epoch_seconds(X509_get0_notAfter(certificate));
    facts.key = key_facts(certificate);
    facts.signature = signature_facts(certificate);
    facts.serial = serial_text(certificate);
    facts.sha256_fingerprint = fingerprint(certificate);
    // Names and key identifiers only: checking the signature costs a public-key operation and
    // decides nothing here (a self-signed root is trusted or not by being in the store).
    facts.self_signed = X509_self_signed(certificate, 0) == 1;
    const std::uint32_t extension_flags = X509_get_extension_flags(certificate);
    facts.is_ca = (extension_flags & EXFLAG_CA) != 0;
    facts.has_key_usage = (extension_flags & EXFLAG_KUSAGE) != 0;
    if (facts.has_key_usage) facts.key_usage = X509_get_key_usage(certificate);
    return facts;
}

std::string short_name(const CertificateFacts& facts) {
    if (!facts.common_name.empty()) return "CN=" + facts.common_name;
    if (auto alt_name = first_alt_name(facts.names); !alt_name.empty()) return alt_name;
    if (!facts.subject.empty()) return facts.subject;
    return "serial " + facts.serial;
}

}  // namespace tls_checks::tls
