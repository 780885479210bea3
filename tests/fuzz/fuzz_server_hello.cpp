// libFuzzer target: the ServerHello parser must never crash, read out of bounds or accept
// leftovers, whatever the bytes.
#include <cstddef>
#include <cstdint>
#include <span>

#include "tls/server_hello.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    (void)tls_checks::tls::parse_server_hello(std::span(data, size));
    return 0;
}
