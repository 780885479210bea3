#pragma once
// One STARTTLS dialog against a scripted server (MemoryStream), as the dialog and injection
// suites run it: what upgrade() returned and what the client wrote.

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "memory_stream.hpp"
#include "starttls/dialog.hpp"

namespace tls_checks::test {

struct Outcome {
    Expected<starttls::DialogResult, starttls::DialogError> result;
    std::string written;
};

inline Outcome run(starttls::Protocol protocol, std::vector<std::string> server) {
    MemoryStream stream(std::move(server));
    net::LineReader reader(stream, net::ReaderLimits{512, 16 * 1024});
    starttls::DialogOptions options;
    options.ehlo_name = "client.example";
    options.xmpp_domain = "example.test";
    auto result = starttls::upgrade(protocol, reader, options, net::Deadline::after(std::chrono::seconds(2)));
    return Outcome{std::move(result), stream.written};
}

}  // namespace tls_checks::test
