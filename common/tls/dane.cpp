#include "tls/dane.hpp"

#include <algorithm>

#include "wire/hex.hpp"

namespace tls_checks::tls {

std::optional<TlsaRecord> parse_tlsa(std::span<const std::uint8_t> rdata) {
    if (rdata.size() < 4) return std::nullopt;
    TlsaRecord record;
    record.usage = rdata[0];
    record.selector = rdata[1];
    record.matching = rdata[2];
    record.data.assign(rdata.begin() + 3, rdata.end());
    return record;
}

std::string tlsa_text(const TlsaRecord& record) {
    const std::size_t shown = std::min<std::size_t>(record.data.size(), 16);
    std::string hex = wire::to_hex(std::span<const std::uint8_t>(record.data.data(), shown));
    if (record.data.size() > shown) hex += "...";
    return std::to_string(record.usage) + " " + std::to_string(record.selector) + " " +
           std::to_string(record.matching) + " " + hex;
}

std::string usage_name(std::uint8_t usage) {
    switch (usage) {
        case 0: return "PKIX-TA(0)";
        case 1: return "PKIX-EE(1)";
        case 2: return "DANE-TA(2)";
        case 3: return "DANE-EE(3)";
        default: return "usage " + std::to_string(usage);
    }
}

}  // namespace tls_checks::tls
