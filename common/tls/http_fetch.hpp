#pragma once
// HTTP GET and POST for OCSP responders and CRL servers (http:// only, as RFC 5280 and RFC 6960
// use), with OpenSSL's own HTTP client over a connection from the one connector: bounded by the
// run's deadline and by a response size, at most one redirect.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "net/deadline.hpp"

namespace tls_checks::tls {

struct HttpRequest {
    std::string url;                                 // http://host[:port]/path[?query]
    std::optional<std::vector<std::uint8_t>> body;   // POST this when set, else GET
    std::string content_type;                        // of the body
    std::size_t max_response_bytes = 0;
};

enum class FetchProblem {
    bad_url,      // not http://, or not a URL
    unreachable,  // name, route or connection failed
    timed_out,    // the deadline passed
    http_status,  // an answer other than 200 (after at most one redirect)
    too_large,    // more than max_response_bytes
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
