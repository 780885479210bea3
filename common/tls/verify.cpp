#include "tls/verify.hpp"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>

#include "tls/certificate.hpp"
#include "tls/certificate_file.hpp"
#include "tls/name_match.hpp"

namespace tls_checks::tls {

namespace {

struct Collector {
    std::vector<VerifyProblem> problems;
};

// Records every problem and lets verification go on, so that one run reports all of them and
// the whole path is built even when something on it is wrong.
int collect_problem(int ok, X509_STORE_CTX* context) {
    if (ok == 1) return 1;
    auto* collector = static_cast<Collector*>(X509_STORE_CTX_get_app_data(context));
    const int code = X509_STORE_CTX_get_error(context);
    if (collector == nullptr || code == X509_V_ERR_CERT_HAS_EXPIRED || code == X509_V_ERR_CERT_NOT_YET_VALID)
        return 1;  // judged with dates by the expiry check, on every element of the path
    const int depth = X509_STORE_CTX_get_error_depth(context);
    X509* certificate = X509_STORE_CTX_get_current_cert(context);
    // OpenSSL follows a missing issuer with "unable to verify the first certificate" for the
    // same certificate: one fact, said twice. Keep the first.
    const bool seen = std::any_of(collector->problems.begin(), collector->problems.end(), [&](const VerifyProblem& p) {
        return p.depth == depth && (p.code == code || code == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE);
    });
    if (!seen) {
        VerifyProblem problem;
        problem.depth = depth;
        problem.code = code;
        problem.reason = X509_verify_cert_error_string(code);
        if (certificate != nullptr) problem.subject = short_name(describe_certificate(certificate));
        collector->problems.push_back(std::move(problem));
    }
    return 1;
}

// Every certificate of a CA file (PEM bundle, or DER or PKCS#12) into the store, read by the
// certificate file reader, which decodes PEM blocks directly: X509_STORE_load_file() looks up PEM
// encryption ciphers first, which loads OpenSSL's whole cipher table and costs more than the
// rest of the verification.
// A file is read once per process: the addresses of a name (every MX address of a mail domain)
// each build a path in parallel, and decoding the file was half of each one's verification.
Expected<Done, std::string> add_ca_file(X509_STORE* store, const std::string& path) {
    static std::mutex mutex;
    static std::map<std::string, std::vector<X509Ptr>> read;
    const std::lock_guard lock(mutex);
    auto known = read.find(path);
    if (known == read.end()) {
        auto certificates = load_certificate_file(path, std::nullopt);
        if (!certificates) return unexpected(std::move(certificates.error().message));
        known = read.emplace(path, std::move(*certificates)).first;
    }
    for (const auto& certificate : known->second) {
        if (X509_STORE_add_cert(store, certificate.get()) != 1) return unexpected(drain_openssl_errors());
    }
    return Done{};
}

enum class SystemStore { directory_only, directory_and_file };

// The system's hashed directory is looked up lazily, one file per issuer actually needed, which
// costs far less than parsing the whole bundle on every run; the bundle is read only when the
// directory alone cannot finish the chain (distributions without hash links, or no anchor).
Expected<X509StorePtr, std::string> make_store(const TrustAnchors& anchors, SystemStore system) {
    X509StorePtr store(X509_STORE_new());
    if (!store) return unexpected(drain_openssl_errors());
    if (anchors.ca_file || anchors.ca_path) {
        if (anchors.ca_file) {
            if (auto loaded = add_ca_file(store.get(), *anchors.ca_file); !loaded)
                return unexpected("cannot load CA file: " + loaded.error());
        }
        if (anchors.ca_path && X509_STORE_load_path(store.get(), anchors.ca_path->c_str()) != 1)
            return unexpected("cannot use CA directory " + *anchors.ca_path + ": " + drain_openssl_errors());
        return store;
    }
    const char* dir = std::getenv(X509_get_default_cert_dir_env());
    if (dir == nullptr) dir = X509_get_default_cert_dir();
    (void)X509_STORE_load_path(store.get(), dir);
    if (system == SystemStore::directory_and_file) {
        const char* file = std::getenv(X509_get_default_cert_file_env());
        if (file == nullptr) file = X509_get_default_cert_file();
        (void)add_ca_file(store.get(), file);  // a missing or broken bundle leaves the directory alone
    }
    ERR_clear_error();
    return store;
}

bool issuer_missing(const std::vector<VerifyProblem>& problems) {
    return std::any_of(problems.begin(), problems.end(), [](const VerifyProblem& p) {
        return p.code == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY || p.code == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
               p.code == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN || p.code == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT;
    });
}

bool ends_short_of_anchor(const CertificationPath& path) {
    return issuer_missing(path.problems) ||
           std::any_of(path.problems.begin(), path.problems.end(), [](const VerifyProblem& p) {
               return p.code == X509_V_ERR_CERT_CHAIN_TOO_LONG || p.code == X509_V_ERR_CERT_UNTRUSTED ||
                      p.code == X509_V_ERR_CERT_REJECTED || p.code == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE;
           });
}

int purpose_id(Purpose purpose) {
    switch (purpose) {
        case Purpose::tls_server: return X509_PURPOSE_SSL_SERVER;
        case Purpose::tls_client: return X509_PURPOSE_SSL_CLIENT;
        case Purpose::any: break;
    }
    return 0;
}

Expected<CertificationPath, std::string> build_with(const std::vector<X509Ptr>& sent, const TrustAnchors& anchors,
                                                    Purpose purpose, SystemStore system) {
    auto store = make_store(anchors, system);
    if (!store) return unexpected(std::move(store.error()));

    X509StackPtr untrusted(sk_X509_new_null());
    if (!untrusted) return unexpected(drain_openssl_errors());
    for (std::size_t i = 1; i < sent.size(); ++i) {
        if (sk_X509_push(untrusted.get(), sent[i].get()) <= 0) return unexpected(drain_openssl_errors());
        X509_up_ref(sent[i].get());
    }

    X509StoreCtxPtr context(X509_STORE_CTX_new());
    if (!context || X509_STORE_CTX_init(context.get(), store->get(), sent.front().get(), untrusted.get()) != 1)
        return unexpected(drain_openssl_errors());
    // X509_V_FLAG_TRUSTED_FIRST is OpenSSL's default since 1.1.0: at every step an issuer from the
    // store is preferred to one the server sent, so a stale cross-sign (AddTrust 2020, DST Root
    // CA X3 2021) is passed over when the store has the self-signed root, as browsers do.
    // No X509_V_FLAG_PARTIAL_CHAIN: an intermediate found in the store is a step of the path, not
    // its anchor, so that "the server does not send it" can be told.
    if (const int id = purpose_id(purpose); id != 0) X509_STORE_CTX_set_purpose(context.get(), id);
    X509_STORE_CTX_set_depth(context.get(), max_path_depth);
    Collector collector;
    X509_STORE_CTX_set_app_data(context.get(), &collector);
    X509_STORE_CTX_set_verify_cb(context.get(), collect_problem);
    (void)X509_verify_cert(context.get());
    ERR_clear_error();

    CertificationPath path;
    const X509StackPtr built(X509_STORE_CTX_get1_chain(context.get()));
    for (int i = 0; built && i < sk_X509_num(built.get()); ++i)
        path.certificates.push_back(share(sk_X509_value(built.get(), i)));
    if (path.certificates.empty()) path.certificates.push_back(share(sent.front().get()));
    path.problems = std::move(collector.problems);
    // The first num_untrusted elements came from the server; an element after them came from
    // the store. The path is anchored when it ends in the store and OpenSSL did not say that it
    // ends short of an anchor (missing issuer, untrusted self-signed, too long, distrusted).
    const auto from_server = static_cast<std::size_t>(X509_STORE_CTX_get_num_untrusted(context.get()));
    path.anchored = path.certificates.size() > from_server && !ends_short_of_anchor(path);
    return path;
    return path;
}


}  // namespace

bool contains_certificate(const std::vector<X509Ptr>& list, const X509* certificate) {
    return std::any_of(list.begin(), list.end(),
                       [certificate](const X509Ptr& p) { return X509_cmp(p.get(), certificate) == 0; });
}

Expected<CertificationPath, std::string> build_path(const std::vector<X509Ptr>& sent, const TrustAnchors& anchors,
                                                    Purpose purpose, StoreSearch search) {
    if (sent.empty()) return unexpected(std::string("no certificate to verify"));
    auto path = build_with(sent, anchors, purpose, SystemStore::directory_only);
    if (path && search == StoreSearch::directory_then_bundle && !anchors.ca_file && !anchors.ca_path &&
        issuer_missing(path->problems))
        return build_with(sent, anchors, purpose, SystemStore::directory_and_file);
    return path;
}

std::optional<std::string> webpki_problem(const CertificationPath& path, X509* leaf, const std::string& host,
                                          std::int64_t now) {
    if (!path.anchored) return std::string("no path to a trusted root");
    if (!path.problems.empty()) return path.problems.front().reason;
    for (const auto& certificate : path.certificates) {
        const auto facts = describe_certificate(certificate.get());
        if (facts.not_after < now) return "expired: " + short_name(facts);
        if (facts.not_before > now) return "not yet valid: " + short_name(facts);
    }
    const auto facts = describe_certificate(leaf);
    if (!match_certificate_name(leaf, facts.names, host).matched())
        return "it is not valid for " + host + " (it names " + describe_names(facts.names) + ")";
    return std::nullopt;
}

}  // namespace tls_checks::tls
