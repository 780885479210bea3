// libFuzzer target: the RDATA parsers for what a DNS server sends (dns/resolver, tls/dane): MX,
// TXT, A/AAAA, TLSA, and the --dns-server parser. A hostile or broken server never makes them
// read past the RDATA, loop, or return a name with a raw control byte.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include "dns/resolver.hpp"
#include "tls/dane.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tls_checks;
    const std::span<const std::uint8_t> rdata(data, size);
    if (auto mx = dns::parse_mx(rdata)) {
        for (const char c : mx->host) {
            if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) std::abort();
        }
    }
    if (auto text = dns::parse_txt(rdata)) {
        if (text->size() >= size) std::abort();  // every character-string has its length byte
    }
    (void)dns::parse_address(dns::RrType::a, rdata);
    (void)dns::parse_address(dns::RrType::aaaa, rdata);
    if (auto tlsa = tls::parse_tlsa(rdata)) {
        if (tlsa->data.size() + 3 != size) std::abort();
        (void)tls::tlsa_text(*tlsa);
        (void)tls::usage_name(tlsa->usage);
    }
    (void)dns::forwarder_address(std::string_view(reinterpret_cast<const char*>(data), size));
    return 0;
}
