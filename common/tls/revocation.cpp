#include "tls/revocation.hpp"

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "tls/certificate.hpp"

namespace tls_checks::tls {

namespace {

using OcspResponsePtr = std::unique_ptr<OCSP_RESPONSE, OpenSslDeleter<&OCSP_RESPONSE_free>>;
using OcspBasicPtr = std::unique_ptr<OCSP_BASICRESP, OpenSslDeleter<&OCSP_BASICRESP_free>>;
using OcspCertIdPtr = std::unique_ptr<OCSP_CERTID, OpenSslDeleter<&OCSP_CERTID_free>>;
using OcspRequestPtr = std::unique_ptr<OCSP_REQUEST, OpenSslDeleter<&OCSP_REQUEST_free>>;
using CrlPtr = std::unique_ptr<X509_CRL, OpenSslDeleter<&X509_CRL_free>>;
using InfoAccessPtr = std::unique_ptr<AUTHORITY_INFO_ACCESS, OpenSslDeleter<&AUTHORITY_INFO_ACCESS_free>>;
using DistPointsPtr = std::unique_ptr<CRL_DIST_POINTS, OpenSslDeleter<&CRL_DIST_POINTS_free>>;
using TlsFeaturePtr = std::unique_ptr<TLS_FEATURE, OpenSslDeleter<&TLS_FEATURE_free>>;
using IssuingDistPointPtr = std::unique_ptr<ISSUING_DIST_POINT, OpenSslDeleter<&ISSUING_DIST_POINT_free>>;
using AsnEnumeratedPtr = std::unique_ptr<ASN1_ENUMERATED, OpenSslDeleter<&ASN1_ENUMERATED_free>>;

// RFC 6066 8: the TLS feature status_request.
constexpr long tls_feature_status_request = 5;
// Without a nextUpdate a response says "newer information is always available"; one older than
// this is not taken as current.
constexpr std::int64_t max_age_without_next_update = 7 * 24 * 3600;

RevocationError problem(RevocationProblem kind, std::string message) {
    return RevocationError{kind, std::move(message)};
}

std::string uri_of(const GENERAL_NAME* name) {
    if (name == nullptr || name->type != GEN_URI) return {};
    const ASN1_STRING* uri = name->d.uniformResourceIdentifier;
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                       static_cast<std::size_t>(ASN1_STRING_length(uri)));
}

std::vector<std::string> uris_of(const GENERAL_NAMES* names) {
    std::vector<std::string> uris;
    for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
        if (auto uri = uri_of(sk_GENERAL_NAME_value(names, i)); !uri.empty()) uris.push_back(std::move(uri));
    }
    return uris;
}

std::string name_of(X509* certificate) { return short_name(describe_certificate(certificate)); }

std::string one_line(const X509_NAME* name) {
    BioPtr out(BIO_new(BIO_s_mem()));
    if (!out || X509_NAME_print_ex(out.get(), name, 0, XN_FLAG_RFC2253) < 0) return "?";
    char* data = nullptr;
    const long length = BIO_get_mem_data(out.get(), &data);
    return std::string(data, static_cast<std::size_t>(length > 0 ? length : 0));
}

// thisUpdate/nextUpdate against `now`, both ways with the clock skew allowed.
Expected<Done, RevocationError> judge_times(const char* what, std::int64_t this_update,
                                            std::optional<std::int64_t> next_update, std::int64_t now) {
    if (this_update > now + revocation_clock_skew_seconds)
        return unexpected(problem(RevocationProblem::not_yet_valid, std::string(what) + " is not yet valid (this update in the future)"));
    if (next_update && *next_update < now - revocation_clock_skew_seconds)
        return unexpected(problem(RevocationProblem::stale, std::string(what) + " is stale: its next update has passed"));
    if (!next_update && this_update < now - max_age_without_next_update)
        return unexpected(problem(RevocationProblem::stale, std::string(what) + " is stale: no next update, and over 7 days old"));
    return Done{};
}

// The SingleResponse for `certificate`, whatever hash its CertID uses.
OCSP_SINGLERESP* single_response_for(OCSP_BASICRESP* basic, X509* certificate, X509* issuer) {
    for (int i = 0; i < OCSP_resp_count(basic); ++i) {
        OCSP_SINGLERESP* single = OCSP_resp_get0(basic, i);
        const OCSP_CERTID* id = OCSP_SINGLERESP_get0_id(single);
        ASN1_OBJECT* digest_oid = nullptr;
        if (OCSP_id_get0_info(nullptr, &digest_oid, nullptr, nullptr, const_cast<OCSP_CERTID*>(id)) != 1) continue;
        const EVP_MD* digest = EVP_get_digestbyobj(digest_oid);
        if (digest == nullptr) continue;
        const OcspCertIdPtr ours(OCSP_cert_to_id(digest, certificate, issuer));
        if (ours && OCSP_id_cmp(ours.get(), id) == 0) return single;
    }
    return nullptr;
}

}  // namespace

RevocationPointers revocation_pointers_of(X509* certificate) {
    RevocationPointers pointers;
    if (const InfoAccessPtr access(static_cast<AUTHORITY_INFO_ACCESS*>(
            X509_get_ext_d2i(certificate, NID_info_access, nullptr, nullptr)));
        access) {
        for (int i = 0; i < sk_ACCESS_DESCRIPTION_num(access.get()); ++i) {
            const ACCESS_DESCRIPTION* description = sk_ACCESS_DESCRIPTION_value(access.get(), i);
            if (OBJ_obj2nid(description->method) != NID_ad_OCSP) continue;
            if (auto uri = uri_of(description->location); !uri.empty()) pointers.ocsp_urls.push_back(std::move(uri));
        }
    }
    if (const DistPointsPtr points(static_cast<CRL_DIST_POINTS*>(
            X509_get_ext_d2i(certificate, NID_crl_distribution_points, nullptr, nullptr)));
        points) {
        for (int i = 0; i < sk_DIST_POINT_num(points.get()); ++i) {
            const DIST_POINT* point = sk_DIST_POINT_value(points.get(), i);
            if (point->distpoint == nullptr || point->distpoint->type != 0) continue;  // 0: fullName
            for (auto& uri : uris_of(point->distpoint->name.fullname)) pointers.crl_urls.push_back(std::move(uri));
        }
    }
    if (const TlsFeaturePtr features(static_cast<TLS_FEATURE*>(
            X509_get_ext_d2i(certificate, NID_tlsfeature, nullptr, nullptr)));
        features) {
        for (int i = 0; i < sk_ASN1_INTEGER_num(features.get()); ++i) {
            if (ASN1_INTEGER_get(sk_ASN1_INTEGER_value(features.get(), i)) == tls_feature_status_request)
                pointers.must_staple = true;
        }
    }
    return pointers;
}

std::string revocation_reason_name(int reason) {
    const char* name = OCSP_crl_reason_str(reason);
    return name != nullptr ? name : "reason " + std::to_string(reason);
}

Expected<RevocationAnswer, RevocationError> judge_ocsp_response(std::span<const std::uint8_t> der, X509* certificate,
                                                               X509* issuer, std::int64_t now) {
    init_openssl();
    const unsigned char* cursor = der.data();
    const OcspResponsePtr response(d2i_OCSP_RESPONSE(nullptr, &cursor, static_cast<long>(der.size())));
    if (!response || cursor != der.data() + der.size()) {
        ERR_clear_error();
        return unexpected(problem(RevocationProblem::malformed, "OCSP response is not DER"));
    }
    if (const int status = OCSP_response_status(response.get()); status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
        return unexpected(problem(RevocationProblem::not_successful, std::string("OCSP response says ") +
                                                                         OCSP_response_status_str(status)));
    }
    const OcspBasicPtr basic(OCSP_response_get1_basic(response.get()));
    if (!basic) {
        ERR_clear_error();
        return unexpected(problem(RevocationProblem::malformed, "OCSP response has no basic response"));
    }

    // The signer: the issuer itself, or a responder certificate the issuer issued for
    // id-kp-OCSPSigning (OpenSSL's ocsp_check_issuer / ocsp_check_delegated). The issuer is the
    // only anchor; whether it is trusted is the path's business, judged elsewhere.
    X509StackPtr candidates(sk_X509_new_null());
    if (!candidates || sk_X509_push(candidates.get(), issuer) <= 0)
        return unexpected(problem(RevocationProblem::bad_signature, "cannot set up OCSP verification"));
    X509_up_ref(issuer);
    X509* signer = nullptr;
    if (OCSP_resp_get0_signer(basic.get(), &signer, candidates.get()) != 1 || signer == nullptr) {
        ERR_clear_error();
        return unexpected(problem(RevocationProblem::bad_signature,
                                  "OCSP response signature is by a responder that is neither the issuer nor in the response"));
    }
    const bool by_issuer = X509_cmp(signer, issuer) == 0;
    const X509StorePtr store(X509_STORE_new());
    if (!store || X509_STORE_add_cert(store.get(), issuer) != 1)
        return unexpected(problem(RevocationProblem::bad_signature, "cannot set up OCSP verification: " + drain_openssl_errors()));
    X509_VERIFY_PARAM* parameters = X509_STORE_get0_param(store.get());
    X509_VERIFY_PARAM_set_time(parameters, static_cast<time_t>(now));
    X509_VERIFY_PARAM_set_flags(parameters, X509_V_FLAG_PARTIAL_CHAIN);
    // Signed by the issuer itself (the usual case, and every staple of a CA without delegated
    // responders): the signature with its key is all there is to check, and building a chain
    // from the issuer to itself would only cost a tenth of a check.
    const unsigned long flags = OCSP_NOEXPLICIT | (by_issuer ? OCSP_NOVERIFY : 0UL);
    if (OCSP_basic_verify(basic.get(), candidates.get(), store.get(), flags) != 1) {
        return unexpected(problem(RevocationProblem::bad_signature,
                                  "OCSP response signature is not by the issuer or a responder it delegated (" +
                                      drain_openssl_errors() + ")"));
    }
    RevocationAnswer answer;
    answer.signer = name_of(signer);
    answer.delegated = !by_issuer;
    answer.produced_at = epoch_seconds(OCSP_resp_get0_produced_at(basic.get()));

    OCSP_SINGLERESP* single = single_response_for(basic.get(), certificate, issuer);
    if (single == nullptr)
        return unexpected(problem(RevocationProblem::other_certificate, "OCSP response is for another certificate"));
    int reason = -1;
    ASN1_GENERALIZEDTIME* revoked_at = nullptr;
    ASN1_GENERALIZEDTIME* this_update = nullptr;
    ASN1_GENERALIZEDTIME* next_update = nullptr;
    const int status = OCSP_single_get0_status(single, &reason, &revoked_at, &this_update, &next_update);
    answer.this_update = epoch_seconds(this_update);
    if (next_update != nullptr) answer.next_update = epoch_seconds(next_update);
    if (auto fresh = judge_times("OCSP response", answer.this_update, answer.next_update, now); !fresh)
        return unexpected(std::move(fresh.error()));
    switch (status) {
        case V_OCSP_CERTSTATUS_GOOD: answer.status = RevocationStatus::good; break;
        case V_OCSP_CERTSTATUS_REVOKED:
            answer.status = RevocationStatus::revoked;
            answer.revoked_at = epoch_seconds(revoked_at);
            if (reason >= 0) answer.reason = revocation_reason_name(reason);
            break;
        default: answer.status = RevocationStatus::unknown; break;
    }
    return answer;
}

Expected<RevocationAnswer, RevocationError> judge_crl(std::span<const std::uint8_t> der, X509* certificate,
                                                     X509* issuer, const std::string& url, std::int64_t now) {
    init_openssl();
    const unsigned char* cursor = der.data();
    const CrlPtr crl(d2i_X509_CRL(nullptr, &cursor, static_cast<long>(der.size())));
    if (!crl || cursor != der.data() + der.size()) {
        ERR_clear_error();
        return unexpected(problem(RevocationProblem::malformed, "CRL is not DER"));
    }
    RevocationAnswer answer;
    answer.signer = one_line(X509_CRL_get_issuer(crl.get()));
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_subject_name(issuer)) != 0)
        return unexpected(problem(RevocationProblem::scope, "CRL is issued by " + answer.signer + ", not by the issuer " +
                                                                one_line(X509_get_subject_name(issuer))));
    EVP_PKEY* key = X509_get0_pubkey(issuer);
    if (key == nullptr || X509_CRL_verify(crl.get(), key) != 1) {
        ERR_clear_error();
        return unexpected(problem(RevocationProblem::bad_signature, "CRL signature does not verify with the issuer's key"));
    }
    answer.this_update = epoch_seconds(X509_CRL_get0_lastUpdate(crl.get()));
    if (const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl.get())) answer.next_update = epoch_seconds(next);
    if (auto fresh = judge_times("CRL", answer.this_update, answer.next_update, now); !fresh)
        return unexpected(std::move(fresh.error()));

    // RFC 5280 5.2.5 and 6.3.3 (b): a partitioned CRL covers only what its issuing distribution
    // point says.
    int critical = 0;
    if (const IssuingDistPointPtr point(static_cast<ISSUING_DIST_POINT*>(
            X509_CRL_get_ext_d2i(crl.get(), NID_issuing_distribution_point, &critical, nullptr)));
        point) {
        if (point->distpoint != nullptr && point->distpoint->type == 0) {
            const auto uris = uris_of(point->distpoint->name.fullname);
            bool named = false;
            std::string listed;
            for (const auto& uri : uris) {
                named = named || uri == url;
                listed += (listed.empty() ? "" : ", ") + uri;
            }
            if (!named)
                return unexpected(problem(RevocationProblem::scope, "CRL covers another scope: its issuing distribution point is " +
                                                                        (listed.empty() ? std::string("not a URI") : listed)));
        }
        const bool is_ca = X509_check_ca(certificate) != 0;
        if ((point->onlyuser > 0 && is_ca) || (point->onlyCA > 0 && !is_ca) || point->onlyattr > 0)
            return unexpected(problem(RevocationProblem::scope, std::string("CRL covers another scope: only ") +
                                                                    (point->onlyattr > 0 ? "attribute certificates"
                                                                     : is_ca           ? "end-entity certificates"
                                                                                       : "CA certificates")));
        if (point->onlysomereasons != nullptr)
            return unexpected(problem(RevocationProblem::scope, "CRL covers another scope: only some revocation reasons"));
    } else if (critical == -2) {
        ERR_clear_error();
        return unexpected(problem(RevocationProblem::malformed, "CRL has a malformed issuing distribution point"));
    }

    const STACK_OF(X509_REVOKED)* listed = X509_CRL_get_REVOKED(crl.get());
    answer.entries = listed == nullptr ? 0 : static_cast<std::size_t>(sk_X509_REVOKED_num(listed));
    // ASN1_INTEGER_cmp underneath: serial numbers compare as integers, whatever their encoding.
    X509_REVOKED* entry = nullptr;
    const int found = X509_CRL_get0_by_serial(crl.get(), &entry, X509_get0_serialNumber(certificate));
    if (found == 1 && entry != nullptr) {
        answer.status = RevocationStatus::revoked;
        answer.revoked_at = epoch_seconds(X509_REVOKED_get0_revocationDate(entry));
        if (const AsnEnumeratedPtr reason(static_cast<ASN1_ENUMERATED*>(
                X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, nullptr, nullptr)));
            reason) {
            answer.reason = revocation_reason_name(static_cast<int>(ASN1_ENUMERATED_get(reason.get())));
        }
    } else {
        answer.status = RevocationStatus::good;  // not listed, or listed as removeFromCRL (delta CRLs)
    }
    ERR_clear_error();
    return answer;
}

std::optional<std::int64_t> crl_next_update(std::span<const std::uint8_t> der) {
    const unsigned char* cursor = der.data();
    const CrlPtr crl(d2i_X509_CRL(nullptr, &cursor, static_cast<long>(der.size())));
    if (!crl) {
        ERR_clear_error();
        return std::nullopt;
    }
    const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl.get());
    if (next == nullptr) return std::nullopt;
    return epoch_seconds(next);
}

std::vector<std::uint8_t> ocsp_request_for(X509* certificate, X509* issuer) {
    const OcspRequestPtr request(OCSP_REQUEST_new());
    OCSP_CERTID* id = OCSP_cert_to_id(nullptr, certificate, issuer);
    if (!request || id == nullptr || OCSP_request_add0_id(request.get(), id) == nullptr) {
        OCSP_CERTID_free(id);
        return {};
    }
    const int length = i2d_OCSP_REQUEST(request.get(), nullptr);
    if (length <= 0) return {};
    std::vector<std::uint8_t> der(static_cast<std::size_t>(length));
    unsigned char* out = der.data();
    i2d_OCSP_REQUEST(request.get(), &out);
    return der;
}

}  // namespace tls_checks::tls
