// libFuzzer target: every STARTTLS dialog (reply grammars, capability parsers, the XML scanner,
// BER, the MySQL greeting) against arbitrary server bytes. The first byte picks the protocol and
// how the bytes are cut into reads.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "../unit/memory_stream.hpp"
#include "starttls/dialog.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tls_checks;
    if (size < 1) return 0;
    const auto protocols = starttls::all_protocols();
    const auto protocol = protocols[data[0] % protocols.size()].protocol;
    const std::size_t piece = 1 + (data[0] >> 4u) * 7;
    std::vector<std::string> chunks;
    for (std::size_t at = 1; at < size; at += piece)
        chunks.emplace_back(reinterpret_cast<const char*>(data + at), std::min(piece, size - at));
    test::MemoryStream stream(std::move(chunks));
    net::LineReader reader(stream, net::ReaderLimits{512, 64 * 1024});
    starttls::DialogOptions options;
    options.xmpp_domain = "example.test";
    // The script's end reads as a timeout, so a deadline far away never waits.
    (void)starttls::upgrade(protocol, reader, options, net::Deadline::after(std::chrono::seconds(60)));
    return 0;
}
