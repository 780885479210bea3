// libFuzzer target: the SSLv2 SERVER-HELLO parser.
#include <cstddef>
#include <cstdint>
#include <span>

#include "tls/server_hello.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    (void)tls_checks::tls::parse_sslv2_server_hello(std::span(data, size));
    return 0;
}
