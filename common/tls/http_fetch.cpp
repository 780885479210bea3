#include "tls/http_fetch.hpp"

#include <openssl/err.h>
#include <openssl/http.h>
#include <openssl/httperr.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <string_view>

#include "net/connector.hpp"
#include "net/resolve.hpp"
#include "tls/deadline_bio.hpp"
#include "tls/handshake.hpp"
#include "tls/ossl.hpp"

namespace tls_checks::tls {

namespace {

using HttpContextPtr = std::unique_ptr<OSSL_HTTP_REQ_CTX, OpenSslDeleter<&OSSL_HTTP_REQ_CTX_free>>;

// Headers of a response may add this much to its body before the read budget stops it.
constexpr std::size_t header_allowance = 64 * 1024;

struct Url {
    bool https = false;
    std::string host;
    std::string port;
    std::uint16_t port_number = 80;
    std::string path;  // with the query
};

FetchError fetch_error(FetchProblem problem, std::string message) { return FetchError{problem, std::move(message)}; }

Expected<Url, FetchError> parse_url(const std::string& url, bool https_allowed) {
    int https = 0;
    char* host = nullptr;
    char* port = nullptr;
    int port_number = 0;
    char* path = nullptr;
    char* query = nullptr;
    if (OSSL_HTTP_parse_url(url.c_str(), &https, nullptr, &host, &port, &port_number, &path, &query, nullptr) != 1) {
        ERR_clear_error();
        return unexpected(fetch_error(FetchProblem::bad_url, "not a URL"));
    }
    const OpenSslMemoryPtr<char> owned_host(host), owned_port(port), owned_path(path), owned_query(query);
    if (https != 0 && !https_allowed)
        return unexpected(fetch_error(FetchProblem::bad_url, "https:// is not used for revocation (RFC 5280 and 6960 use http://)"));
    if (port_number <= 0 || port_number > 65535) return unexpected(fetch_error(FetchProblem::bad_url, "bad port"));
    Url parsed;
    parsed.https = https != 0;
    parsed.host = host;
    parsed.port = port;
    parsed.port_number = static_cast<std::uint16_t>(port_number);
    parsed.path = path;
    if (query != nullptr && *query != '\0') parsed.path += std::string("?") + query;
    return parsed;
}

// OpenSSL's HTTP errors, with their data ("code=404,reason=Not Found"), in one line.
struct HttpErrors {
    std::string text;
    std::vector<int> reasons;
    std::string received;  // the data of HTTP_R_RECEIVED_ERROR: "code=404, reason=Not Found"
    std::string too_long;  // the data of HTTP_R_MAX_RESP_LEN_EXCEEDED: "length=..., max=..."
    std::string content_type;  // the actual type of HTTP_R_UNEXPECTED_CONTENT_TYPE

    [[nodiscard]] bool has(int reason) const {
        return std::find(reasons.begin(), reasons.end(), reason) != reasons.end();
    }
};

HttpErrors http_errors() {
    HttpErrors errors;
    unsigned long code = 0;
    const char* data = nullptr;
    int flags = 0;
    while ((code = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) != 0) {
        std::array<char, 256> text{};
        ERR_error_string_n(code, text.data(), text.size());
        std::string line(text.data());
        if (const auto colons = line.rfind("::"); colons != std::string::npos) line = line.substr(colons + 2);
        const std::string detail = data != nullptr && (flags & ERR_TXT_STRING) != 0 ? data : "";
        if (!detail.empty()) line += " (" + detail + ")";
        errors.text += (errors.text.empty() ? "" : "; ") + line;
        const int reason = ERR_GET_REASON(code);
        errors.reasons.push_back(reason);
        if (reason == HTTP_R_RECEIVED_ERROR) errors.received = detail;
        if (reason == HTTP_R_MAX_RESP_LEN_EXCEEDED || reason == HTTP_R_ASN1_LEN_EXCEEDS_MAX_RESP_LEN) errors.too_long = detail;
        if (reason == HTTP_R_UNEXPECTED_CONTENT_TYPE) {
            const auto at = detail.find("actual=");
            errors.content_type = at == std::string::npos ? detail : detail.substr(at + 7);
        }
    }
    if (errors.text.empty()) errors.text = "unknown HTTP error";
    return errors;
}

// "HTTP status 404 (Not Found)" from "code=404, reason=Not Found".
std::string status_text(const std::string& received) {
    std::string code;
    std::string reason;
    if (const auto at = received.find("code="); at != std::string::npos)
        code = received.substr(at + 5, received.find_first_of(", ", at + 5) - (at + 5));
    if (const auto at = received.find("reason="); at != std::string::npos) reason = received.substr(at + 7);
    if (code.empty()) return "HTTP status other than 200";
    return "HTTP status " + code + (reason.empty() ? "" : " (" + reason + ")");
}

struct Attempt {
    std::optional<FetchResult> result;
    std::optional<std::string> redirect;      // Location of a 3xx answer
    std::optional<std::string> content_type;  // a type OpenSSL refused only for its parameters
};

// The media type of a Content-Type value, lower case: "text/plain" of "Text/Plain; charset=utf-8".
std::string media_type(std::string_view value) {
    std::string type(value.substr(0, value.find(';')));
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.pop_back();
    const auto first = type.find_first_not_of(" \t");
    type = first == std::string::npos ? std::string() : type.substr(first);
    for (char& c : type) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return type;
}

// The TLS session of an https:// fetch: handshaken over `socket`, the certificate verified
// against `anchors` and matched against `host`.
Expected<TlsSession, FetchError> secure(net::Socket& socket, const std::string& host, const TrustAnchors& anchors,
                                        const net::Deadline& deadline) {
    HandshakeOptions options;
    options.server_name = host;
    options.request_ocsp_staple = false;
    auto session = handshake(socket, options, deadline);
    if (!session) {
        const bool late = session.error().kind == TlsErrorKind::timed_out;
        return unexpected(fetch_error(late ? FetchProblem::timed_out : FetchProblem::tls, session.error().message));
    }
    auto path = build_path(session->peer_chain, anchors, Purpose::tls_server);
    if (!path) return unexpected(fetch_error(FetchProblem::tls, path.error()));
    if (auto why = webpki_problem(*path, session->peer_chain.front().get(), host, std::time(nullptr)))
        return unexpected(fetch_error(FetchProblem::tls, "certificate of " + host + " is not valid: " + *why));
    return std::move(*session);
}

Expected<Attempt, FetchError> fetch_once(const std::string& url, const HttpRequest& request,
                                         const std::optional<std::string>& content_type, bool first_hop,
                                         const net::Deadline& deadline) {
    auto parsed = parse_url(url, request.https_anchors.has_value());
    if (!parsed) return unexpected(std::move(parsed.error()));
    std::vector<net::Endpoint> ordered;
    if (first_hop && request.endpoints) {
        ordered = *request.endpoints;
    } else {
        auto endpoints = net::resolve(parsed->host, parsed->port_number, net::AddressFamily::any, deadline);
        if (!endpoints) {
            const bool late = endpoints.error().kind == net::NetErrorKind::timed_out;
            return unexpected(fetch_error(late ? FetchProblem::timed_out : FetchProblem::unreachable, endpoints.error().message));
        }
        ordered = net::interleave_families(std::move(*endpoints));
    }
    auto connected = net::connect_first(ordered, deadline);
    if (!connected) {
        const bool late = connected.error().kind == net::NetErrorKind::timed_out;
        return unexpected(fetch_error(late ? FetchProblem::timed_out : FetchProblem::unreachable, connected.error().message));
    }
    const std::string peer = connected->socket.peer_text;

    init_openssl();
    std::optional<TlsSession> session;
    BioPtr bio;
    BIO* socket_bio = nullptr;  // the deadline BIO, under TLS when there is TLS
    if (parsed->https) {
        auto secured = secure(connected->socket, parsed->host, *request.https_anchors, deadline);
        if (!secured) return unexpected(std::move(secured.error()));
        session = std::move(*secured);
        SSL* ssl = session->connection.get();
        socket_bio = SSL_get_rbio(ssl);
        bio.reset(BIO_new(BIO_f_ssl()));
        if (!bio) return unexpected(fetch_error(FetchProblem::io_error, "cannot make a BIO: " + drain_openssl_errors()));
        // BIO_set_ssl() is a macro with a C cast; this is what it expands to. The SSL stays ours.
        BIO_ctrl(bio.get(), BIO_C_SET_SSL, BIO_NOCLOSE, ssl);
    } else {
        bio.reset(new_deadline_bio(connected->socket.fd()));
        if (!bio) return unexpected(fetch_error(FetchProblem::io_error, "cannot make a BIO: " + drain_openssl_errors()));
        socket_bio = bio.get();
    }
    arm_deadline_bio(socket_bio, deadline, request.max_response_bytes + header_allowance);
    set_deadline_bio_waiting(socket_bio, true);
    // The connection BIO is ours: OSSL_HTTP_close() frees only one it made itself.
    HttpContextPtr context(OSSL_HTTP_open(parsed->host.c_str(), parsed->port.c_str(), nullptr, nullptr, 0, bio.get(),
                                          nullptr, nullptr, nullptr, 0, 0));
    if (!context) return unexpected(fetch_error(FetchProblem::io_error, "cannot start HTTP: " + drain_openssl_errors()));
    BioPtr body;
    if (request.body) {
        body.reset(BIO_new_mem_buf(request.body->data(), static_cast<int>(request.body->size())));
        if (!body) return unexpected(fetch_error(FetchProblem::io_error, "cannot make a BIO"));
    }
    if (OSSL_HTTP_set1_request(context.get(), parsed->path.c_str(), nullptr,
                               request.body ? request.content_type.c_str() : nullptr, body.get(),
                               content_type ? content_type->c_str() : nullptr, 0,
                               request.max_response_bytes, 0, 0) != 1)
        return unexpected(fetch_error(FetchProblem::io_error, "cannot make the HTTP request: " + drain_openssl_errors()));
    char* location = nullptr;
    const BioPtr response(OSSL_HTTP_exchange(context.get(), &location));
    const OpenSslMemoryPtr<char> owned_location(location);
    const auto stop = deadline_bio_status(socket_bio).stop;
    (void)OSSL_HTTP_close(context.release(), response ? 1 : 0);
    if (!response) {
        const auto errors = http_errors();
        if (location != nullptr) {
            Attempt redirected;
            redirected.redirect = location;
            return redirected;
        }
        if (stop == BioStop::deadline) return unexpected(fetch_error(FetchProblem::timed_out, "timed out waiting for " + peer));
        if (stop == BioStop::read_limit || !errors.too_long.empty())
            return unexpected(fetch_error(FetchProblem::too_large, "larger than " + byte_count_text(request.max_response_bytes) +
                                                                  (errors.too_long.empty() ? "" : " (" + errors.too_long + ")")));
        if (errors.has(HTTP_R_UNEXPECTED_CONTENT_TYPE)) {
            // OpenSSL 3.0 compares the whole header value: "text/plain; charset=utf-8" is not
            // "text/plain" to it. The same media type is asked for again as the server sends it.
            if (content_type && media_type(errors.content_type) == media_type(*content_type) &&
                errors.content_type != *content_type) {
                Attempt again;
                again.content_type = errors.content_type;
                return again;
            }
            return unexpected(fetch_error(FetchProblem::content_type, "Content-Type is " + errors.content_type + ", not " +
                                                                          (content_type ? *content_type : std::string())));
        }
        if (errors.has(HTTP_R_RECEIVED_ERROR) || errors.has(HTTP_R_STATUS_CODE_UNSUPPORTED))
            return unexpected(fetch_error(FetchProblem::http_status, status_text(errors.received)));
        if (errors.has(HTTP_R_FAILED_READING_DATA) || errors.has(HTTP_R_SERVER_CANCELED_CONNECTION))
            return unexpected(fetch_error(FetchProblem::unreachable, peer + " closed the connection without an answer"));
        return unexpected(fetch_error(FetchProblem::io_error, errors.text));
    }
    Attempt done;
    done.result = FetchResult{{}, url};
    std::array<char, 16384> chunk{};
    for (;;) {
        const int got = BIO_read(response.get(), chunk.data(), static_cast<int>(chunk.size()));
        if (got <= 0) break;
        done.result->body.insert(done.result->body.end(), chunk.begin(), chunk.begin() + got);
        if (done.result->body.size() > request.max_response_bytes)
            return unexpected(fetch_error(FetchProblem::too_large, "larger than " + byte_count_text(request.max_response_bytes)));
    }
    return done;
}

}  // namespace

Expected<FetchResult, FetchError> http_fetch(const HttpRequest& request, const net::Deadline& deadline) {
    std::string url = request.url;
    std::optional<std::string> content_type = request.accept_type;
    bool asked_again = false;
    // At most max_redirects redirects (one for CRLs: a CDN moving a CRL is common, a chain of
    // them is not; none for MTA-STS).
    for (int hop = 0; hop <= request.max_redirects;) {
        auto attempt = fetch_once(url, request, content_type, hop == 0, deadline);
        if (!attempt) return unexpected(std::move(attempt.error()));
        if (attempt->result) return std::move(*attempt->result);
        if (attempt->content_type && !asked_again) {
            content_type = attempt->content_type;
            asked_again = true;
            continue;
        }
        if (!attempt->redirect) break;
        if (request.max_redirects == 0)
            return unexpected(fetch_error(FetchProblem::redirected, "answered with a redirect to " + *attempt->redirect +
                                                                      ", which is not followed"));
        url = *attempt->redirect;
        ++hop;
    }
    if (request.max_redirects == 0 || asked_again)
        return unexpected(fetch_error(FetchProblem::content_type, "Content-Type is not " + content_type.value_or("?")));
    return unexpected(fetch_error(FetchProblem::http_status, "redirected more than once (last to " + url + ")"));
}

}  // namespace tls_checks::tls
