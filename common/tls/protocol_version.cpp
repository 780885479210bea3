#include "tls/protocol_version.hpp"

#include <array>
#include <string>

#include "wire/hex.hpp"

namespace tls_checks::tls {

namespace {

struct VersionNames {
    ProtocolVersion version;
    std::uint16_t wire;
    std::string_view display;
    std::string_view option;
    std::string_view label;
};

constexpr std::array<VersionNames, 6> names = {{
    {ProtocolVersion::sslv2, 0x0002, "SSLv2", "sslv2", "sslv2"},
    {ProtocolVersion::sslv3, 0x0300, "SSLv3", "sslv3", "sslv3"},
    {ProtocolVersion::tls1_0, 0x0301, "TLSv1.0", "tls1.0", "tls1_0"},
    {ProtocolVersion::tls1_1, 0x0302, "TLSv1.1", "tls1.1", "tls1_1"},
    {ProtocolVersion::tls1_2, 0x0303, "TLSv1.2", "tls1.2", "tls1_2"},
    {ProtocolVersion::tls1_3, 0x0304, "TLSv1.3", "tls1.3", "tls1_3"},
}};

const VersionNames& entry(ProtocolVersion version) noexcept { return names[static_cast<std::size_t>(version)]; }

}  // namespace

std::uint16_t wire_version(ProtocolVersion version) noexcept { return entry(version).wire; }
std::string_view display_name(ProtocolVersion version) noexcept { return entry(version).display; }
std::string_view option_name(ProtocolVersion version) noexcept { return entry(version).option; }
std::string_view perfdata_label(ProtocolVersion version) noexcept { return entry(version).label; }

std::optional<ProtocolVersion> version_from_wire(std::uint16_t wire) noexcept {
    for (const auto& name : names) {
        if (name.wire == wire) return name.version;
    }
    return std::nullopt;
}

std::optional<ProtocolVersion> parse_option_name(std::string_view text) noexcept {
    for (const auto& name : names) {
        if (name.option == text) return name.version;
    }
    return std::nullopt;
}

std::string wire_version_name(std::uint16_t wire) {
    if (const auto version = version_from_wire(wire)) return std::string(display_name(*version));
    return wire::hex16(wire);
}

}  // namespace tls_checks::tls
