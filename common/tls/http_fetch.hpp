#pragma once
// HTTP GET and POST with OpenSSL's own HTTP client over a connection from the one connector,
// bounded by the run's deadline and by a response size: for OCSP responders and CRL servers
// (http://, as RFC 5280 and RFC 6960 use; at most one redirect) and for MTA-STS policies
// (https:// with a WebPKI-verified certificate, no redirect, text/plain; RFC 8461 3.3).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "net/deadline.hpp"
#include "net/resolve.hpp"
#include "tls/verify.hpp"

namespace tls_checks::tls {

struct HttpRequest {
    std::string url;                                 // http://host[:port]/path[?query]
    std::optional<std::vector<std::uint8_t>> body;   // POST this when set, else GET
    std::string content_type;                        // of the body
    std::size_t max_response_bytes = 0;
    // https:// URLs are fetched only when this is set: the server's certificate must then chain
    // to these anchors and match the URL's host.
    std::optional<TrustAnchors> https_anchors;
    int max_redirects = 1;
    // The media type the answer must have (parameters such as "; charset=utf-8" allowed).
    std::optional<std::string> accept_type;
    // Connect to these instead of resolving the URL's host (names resolved through DNSSEC).
    std::optional<std::vector<net::Endpoint>> endpoints;
};

enum class FetchProblem {
    bad_url,      // not http:// (nor https:// when allowed), or not a URL
    unreachable,  // name, route or connection failed
    timed_out,    // the deadline passed
    http_status,  // an answer other than 200 (after at most one redirect)
    too_large,    // more than max_response_bytes
    tls,          // the TLS handshake failed, or the certificate is not valid for the host
    content_type, // not the media type asked for
    redirected,   // a redirect where none is allowed
    io_error,     // anything else OpenSSL's client objected to
};

struct FetchError {
    FetchProblem problem = FetchProblem::io_error;
    std::string message;  // "connect to 127.0.0.1:8080: Connection refused", "HTTP status 404"
};

struct FetchResult {
    std::vector<std::uint8_t> body;
    std::string url;  // where it came from, after a redirect
};

Expected<FetchResult, FetchError> http_fetch(const HttpRequest& request, const net::Deadline& deadline);

}  // namespace tls_checks::tls
