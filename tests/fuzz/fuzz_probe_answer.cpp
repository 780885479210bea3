// libFuzzer target: the answer interpreter (record framing, alerts, handshake reassembly,
// ServerHello and SSLv2 parsing) for every probed version, open and closed connection.
#include <cstddef>
#include <cstdint>
#include <span>

#include "tls/probe_answer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    // The first byte picks the version and whether the peer has closed.
    const auto version = tls_checks::tls::all_versions[data[0] % tls_checks::tls::all_versions.size()];
    const bool closed = (data[0] & 0x80u) != 0;
    const auto answer = tls_checks::tls::interpret_answer(version, std::span(data + 1, size - 1), closed);
    // A closed connection always yields a decision.
    if (closed && !answer) __builtin_trap();
    return 0;
}
