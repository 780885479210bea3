// libFuzzer target: a CRL is parsed, verified, scoped and searched without crashing, reading out
// of bounds or leaking, whatever the bytes.
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <span>

#include "revocation_fixture.hpp"
#include "tls/revocation.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto& fixture = fuzzing::revocation_fixture();
    const std::span bytes(data, size);
    (void)tls_checks::tls::judge_crl(bytes, fixture.leaf.get(), fixture.issuer.get(), "http://crl.example.test/1.crl",
                                     static_cast<std::int64_t>(std::time(nullptr)));
    (void)tls_checks::tls::crl_next_update(bytes);
    return 0;
}
