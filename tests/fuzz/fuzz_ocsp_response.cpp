// libFuzzer target: an OCSP response (stapled or fetched) is parsed, verified and judged without
// crashing, reading out of bounds or leaking, whatever the bytes.
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <span>

#include "revocation_fixture.hpp"
#include "tls/revocation.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto& fixture = fuzzing::revocation_fixture();
    (void)tls_checks::tls::judge_ocsp_response(std::span(data, size), fixture.leaf.get(), fixture.issuer.get(),
                                               static_cast<std::int64_t>(std::time(nullptr)));
    return 0;
}
