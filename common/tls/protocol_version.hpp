#pragma once
// The protocol versions a service may accept, with their names on the wire, in options, in
// output and in perfdata.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tls_checks::tls {

enum class ProtocolVersion { sslv2, sslv3, tls1_0, tls1_1, tls1_2, tls1_3 };

inline constexpr std::array<ProtocolVersion, 6> all_versions = {
    ProtocolVersion::sslv2,  ProtocolVersion::sslv3,  ProtocolVersion::tls1_0,
    ProtocolVersion::tls1_1, ProtocolVersion::tls1_2, ProtocolVersion::tls1_3,
};

// 0x0002 (SSLv2), 0x0300 (SSLv3), 0x0301 ... 0x0304 (TLS 1.3).
std::uint16_t wire_version(ProtocolVersion version) noexcept;
// The version with this wire number, if it is one of ours.
std::optional<ProtocolVersion> version_from_wire(std::uint16_t wire) noexcept;
// "SSLv2", "SSLv3", "TLSv1.0", ... as OpenSSL and operators write them.
std::string_view display_name(ProtocolVersion version) noexcept;
// "sslv2", "sslv3", "tls1.0", ... as options take them.
std::string_view option_name(ProtocolVersion version) noexcept;
// "sslv2", "sslv3", "tls1_0", ... as perfdata labels ('.' would be confusing there).
std::string_view perfdata_label(ProtocolVersion version) noexcept;
std::optional<ProtocolVersion> parse_option_name(std::string_view text) noexcept;

// "TLSv1.2" for a wire version, "0x0305" for one we do not name.
std::string wire_version_name(std::uint16_t wire);

}  // namespace tls_checks::tls
