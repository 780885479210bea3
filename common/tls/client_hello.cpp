#include "tls/client_hello.hpp"

#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>

#include "wire/byte_writer.hpp"
#include "wire/hex.hpp"

namespace tls_checks::tls {

namespace {

// Suites every version from SSLv3 on can negotiate: RSA, DHE, ECDHE (servers that take ECC on
// TLS 1.0 too), anonymous and export kinds, CBC, RC4, 3DES, DES, Camellia, SEED, IDEA. Offering
// the weak ones is the point: a server that only has those still proves its version.
constexpr std::uint16_t legacy_suites[] = {
    0xC014, 0xC00A, 0x0039, 0x0038, 0x0037, 0x0036, 0x0088, 0x0087, 0x0086, 0x0085, 0xC019, 0x003A,
    0x0089, 0xC00F, 0xC005, 0x0035, 0x0084, 0xC013, 0xC009, 0x0033, 0x0032, 0x0031, 0x0030, 0x009A,
    0x0099, 0x0098, 0x0097, 0x0045, 0x0044, 0x0043, 0x0042, 0xC018, 0x0034, 0x009B, 0x0046, 0xC00E,
    0xC004, 0x002F, 0x0096, 0x0041, 0x0007, 0xC011, 0xC007, 0xC016, 0x0018, 0xC00C, 0xC002, 0x0005,
    0x0004, 0xC012, 0xC008, 0x0016, 0x0013, 0x0010, 0x000D, 0xC017, 0x001B, 0xC00D, 0xC003, 0x000A,
    0x0015, 0x0012, 0x000F, 0x000C, 0x001A, 0x0009, 0x0014, 0x0011, 0x0019, 0x0008, 0x0006, 0x0017,
    0x0003,
};

// TLS 1.2 adds AEAD and SHA-2 suites (RFC 5246, 5288, 5289, 7905, 6655, 6209, 6367).
constexpr std::uint16_t tls12_suites[] = {
    0xC02C, 0xC030, 0x009F, 0xCCA9, 0xCCA8, 0xCCAA, 0xC02B, 0xC02F, 0x009E, 0xC024, 0xC028, 0x006B,
    0xC023, 0xC027, 0x0067, 0x00A3, 0x00A2, 0x00A1, 0x00A0, 0x00A5, 0x00A4, 0x0069, 0x0068, 0x006A,
    0x006D, 0x006C, 0xC0AD, 0xC0AC, 0xC0A1, 0xC0A0, 0xC09F, 0xC09E, 0xC09D, 0xC09C, 0xC0AF, 0xC0AE,
    0xC032, 0xC02E, 0xC02A, 0xC026, 0xC031, 0xC02D, 0xC029, 0xC025, 0x009D, 0x009C, 0x003D, 0x003C,
    0x00C4, 0x00C3, 0x00C2, 0x00C1, 0x00C0, 0x00BE, 0x00BD, 0x00BC, 0x00BB, 0x00BA, 0xC077, 0xC076,
    0xC073, 0xC072, 0xC051, 0xC050, 0xC053, 0xC052, 0xC05D, 0xC05C, 0xC061, 0xC060,
};

constexpr std::uint16_t tls13_suites[] = {0x1301, 0x1302, 0x1303, 0x1304, 0x1305};

// RFC 8422 / RFC 7919 named groups: modern first, then the older curves servers still use.
constexpr std::uint16_t groups_tls12[] = {0x001D, 0x0017, 0x0018, 0x0019, 0x001E, 0x0016, 0x0015, 0x0014,
                                          0x0013, 0x001A, 0x001B, 0x001C, 0x0100, 0x0101, 0x0102};
// TLS 1.3 lists the ML-KEM hybrids first (draft-ietf-tls-ecdhe-mlkem), so that a server which
// takes only post-quantum key exchange answers with a HelloRetryRequest naming one instead of
// refusing the hello. The only key share stays X25519: a hybrid share is over 1 KB, and a
// HelloRetryRequest already proves the version and names the group (RFC 8446 4.1.4).
constexpr std::uint16_t groups_tls13[] = {named_group::x25519_mlkem768, named_group::secp256r1_mlkem768,
                                          named_group::secp384r1_mlkem1024, 0x001D, 0x0017, 0x0018, 0x0019,
                                          0x001E, 0x0100, 0x0101, 0x0102};

// RFC 8446 4.2.3 signature schemes, including SHA-1 ones a TLS 1.2 server may still need.
constexpr std::uint16_t signature_schemes[] = {0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805,
                                               0x0806, 0x0809, 0x080A, 0x080B, 0x0401, 0x0501, 0x0601,
                                               0x0402, 0x0502, 0x0602, 0x0203, 0x0201, 0x0202};

// SSLv2 cipher kinds (SSLv2 draft, appendix "Cipher kinds"): 3-byte codes.
constexpr std::uint32_t sslv2_cipher_kinds[] = {0x010080, 0x020080, 0x030080, 0x040080,
                                                0x050080, 0x060040, 0x0700C0};

namespace extension {
constexpr std::uint16_t server_name = 0;             // RFC 6066 3
constexpr std::uint16_t supported_groups = 10;       // RFC 8422 5.1.1
constexpr std::uint16_t ec_point_formats = 11;       // RFC 8422 5.1.2
constexpr std::uint16_t signature_algorithms = 13;   // RFC 5246 7.4.1.4.1, RFC 8446 4.2.3
constexpr std::uint16_t padding = 21;                // RFC 7685
constexpr std::uint16_t extended_master_secret = 23; // RFC 7627
constexpr std::uint16_t session_ticket = 35;         // RFC 5077
constexpr std::uint16_t supported_versions = 43;     // RFC 8446 4.2.1
constexpr std::uint16_t psk_key_exchange_modes = 45; // RFC 8446 4.2.9
constexpr std::uint16_t key_share = 51;              // RFC 8446 4.2.8
}  // namespace extension

void write_u16_list(wire::ByteWriter& out, std::size_t prefix, const std::uint16_t* begin, const std::uint16_t* end) {
    out.prefixed(prefix, [&](wire::ByteWriter& list) {
        for (auto it = begin; it != end; ++it) list.u16(*it);
    });
}

template <class Body>
void write_extension(wire::ByteWriter& out, std::uint16_t type, Body&& body) {
    out.u16(type);
    out.prefixed(2, body);
}

// All extensions but padding, in an order that never ends with an empty one (some servers
// reject a ClientHello whose last extension is empty).
std::vector<std::uint8_t> extensions_for(ProtocolVersion version, const HelloOptions& options) {
    wire::ByteWriter out;
    if (options.server_name) {
        write_extension(out, extension::server_name, [&](wire::ByteWriter& body) {
            body.prefixed(2, [&](wire::ByteWriter& list) {
                list.u8(0);  // host_name
                list.prefixed(2, [&](wire::ByteWriter& name) { name.text(*options.server_name); });
            });
        });
    }
    if (version == ProtocolVersion::tls1_3) {
        write_extension(out, extension::supported_groups, [](wire::ByteWriter& body) {
            write_u16_list(body, 2, std::begin(groups_tls13), std::end(groups_tls13));
        });
        write_extension(out, extension::signature_algorithms, [](wire::ByteWriter& body) {
            write_u16_list(body, 2, std::begin(signature_schemes), std::end(signature_schemes));
        });
        write_extension(out, extension::supported_versions, [](wire::ByteWriter& body) {
            body.prefixed(1, [](wire::ByteWriter& list) { list.u16(0x0304); });
        });
        write_extension(out, extension::psk_key_exchange_modes, [](wire::ByteWriter& body) {
            body.prefixed(1, [](wire::ByteWriter& list) { list.u8(1); });  // psk_dhe_ke
        });
        write_extension(out, extension::key_share, [&](wire::ByteWriter& body) {
            body.prefixed(2, [&](wire::ByteWriter& shares) {
                shares.u16(named_group::x25519);
                shares.prefixed(2, [&](wire::ByteWriter& key) { key.bytes(options.key_share); });
            });
        });
        return out.take();
    }
    // TLS 1.0 to 1.2 (SSLv3 hellos carry no extensions at all: SSLv3-only servers may choke).
    write_extension(out, extension::session_ticket, [](wire::ByteWriter&) {});
    write_extension(out, extension::extended_master_secret, [](wire::ByteWriter&) {});
    write_extension(out, extension::ec_point_formats, [](wire::ByteWriter& body) {
        body.prefixed(1, [](wire::ByteWriter& list) { list.u8(0); });  // uncompressed
    });
    write_extension(out, extension::supported_groups, [](wire::ByteWriter& body) {
        write_u16_list(body, 2, std::begin(groups_tls12), std::end(groups_tls12));
    });
    // signature_algorithms only from TLS 1.2 on (RFC 5246 7.4.1.4.1: not for older versions).
    if (version == ProtocolVersion::tls1_2) {
        write_extension(out, extension::signature_algorithms, [](wire::ByteWriter& body) {
            write_u16_list(body, 2, std::begin(signature_schemes), std::end(signature_schemes));
        });
    }
    return out.take();
}

std::vector<std::uint8_t> sslv2_client_hello(const HelloOptions& options) {
    // SSLv2 draft, "Client Only Protocol Messages": a 2-byte record header (high bit set, no
    // padding), then MSG-CLIENT-HELLO with version 0x0002, no session id, a 16-byte challenge.
    wire::ByteWriter body;
    body.u8(1);  // MSG-CLIENT-HELLO
    body.u16(0x0002);
    body.u16(static_cast<std::uint16_t>(std::size(sslv2_cipher_kinds) * 3));
    body.u16(0);   // session id length
    body.u16(16);  // challenge length
    for (const auto kind : sslv2_cipher_kinds) body.u24(kind);
    body.bytes(std::span(options.random).first(16));
    const auto message = body.take();
    wire::ByteWriter record;
    record.u16(static_cast<std::uint16_t>(0x8000u | message.size()));
    record.bytes(message);
    return record.take();
}

}  // namespace

std::string named_group_name(std::uint16_t group) {
    // IANA "TLS Supported Groups" registry names.
    switch (group) {
        case 0x0017: return "secp256r1";
        case 0x0018: return "secp384r1";
        case 0x0019: return "secp521r1";
        case named_group::x25519: return "x25519";
        case 0x001E: return "x448";
        case 0x0100: return "ffdhe2048";
        case 0x0101: return "ffdhe3072";
        case 0x0102: return "ffdhe4096";
        case 0x0103: return "ffdhe6144";
        case 0x0104: return "ffdhe8192";
        case named_group::secp256r1_mlkem768: return "SecP256r1MLKEM768";
        case named_group::x25519_mlkem768: return "X25519MLKEM768";
        case named_group::secp384r1_mlkem1024: return "SecP384r1MLKEM1024";
        default: break;
    }
    return "group " + wire::hex16(group);
}

bool is_post_quantum_hybrid(std::uint16_t group) {
    return group == named_group::x25519_mlkem768 || group == named_group::secp256r1_mlkem768 ||
           group == named_group::secp384r1_mlkem1024;
}

std::vector<std::uint16_t> offered_groups(ProtocolVersion version) {
    if (version == ProtocolVersion::tls1_3) return {std::begin(groups_tls13), std::end(groups_tls13)};
    if (version == ProtocolVersion::sslv2 || version == ProtocolVersion::sslv3) return {};
    return {std::begin(groups_tls12), std::end(groups_tls12)};
}

HelloOptions random_hello_options() {
    HelloOptions options;
    std::array<std::uint8_t, 96> bytes{};
    std::size_t filled = 0;
    while (filled < bytes.size()) {
        const ssize_t got = getrandom(bytes.data() + filled, bytes.size() - filled, 0);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) throw std::runtime_error("getrandom failed");
        filled += static_cast<std::size_t>(got);
    }
    std::copy_n(bytes.begin(), 32, options.random.begin());
    std::copy_n(bytes.begin() + 32, 32, options.session_id.begin());
    std::copy_n(bytes.begin() + 64, 32, options.key_share.begin());
    return options;
}

std::vector<std::uint16_t> offered_cipher_suites(ProtocolVersion version) {
    std::vector<std::uint16_t> suites;
    if (version == ProtocolVersion::tls1_3) return {std::begin(tls13_suites), std::end(tls13_suites)};
    if (version == ProtocolVersion::tls1_2) suites.assign(std::begin(tls12_suites), std::end(tls12_suites));
    suites.insert(suites.end(), std::begin(legacy_suites), std::end(legacy_suites));
    suites.push_back(empty_renegotiation_scsv);
    return suites;
}

std::vector<std::uint8_t> build_client_hello(ProtocolVersion version, const HelloOptions& options) {
    if (version == ProtocolVersion::sslv2) return sslv2_client_hello(options);

    auto suites = offered_cipher_suites(version);
    if (options.fallback_scsv) suites.push_back(tls_fallback_scsv);
    const bool tls13 = version == ProtocolVersion::tls1_3;
    const std::vector<std::uint8_t> extensions =
        version == ProtocolVersion::sslv3 ? std::vector<std::uint8_t>{} : extensions_for(version, options);

    const auto write_body = [&](wire::ByteWriter& body, std::size_t padding) {
        // RFC 8446 4.1.2 / RFC 5246 7.4.1.2: legacy_version is 0x0303 for TLS 1.3.
        body.u16(tls13 ? 0x0303 : wire_version(version));
        body.bytes(options.random);
        body.prefixed(1, [&](wire::ByteWriter& id) {
            if (tls13) id.bytes(options.session_id);  // RFC 8446 D.4 middlebox compatibility
        });
        write_u16_list(body, 2, suites.data(), suites.data() + suites.size());
        body.prefixed(1, [](wire::ByteWriter& methods) { methods.u8(0); });  // null compression
        if (version == ProtocolVersion::sslv3) return;
        body.prefixed(2, [&](wire::ByteWriter& list) {
            list.bytes(extensions);
            if (padding > 0) {
                list.u16(extension::padding);
                list.prefixed(2, [&](wire::ByteWriter& zeros) { zeros.zeros(padding); });
            }
        });
    };

    // RFC 7685 section 4: some servers hang on ClientHellos of 256 to 511 bytes; pad those to 512.
    // The padding goes last and is never empty, so the hello never ends with an empty extension.
    wire::ByteWriter unpadded;
    write_body(unpadded, 0);
    const std::size_t message_size = 4 + unpadded.size();
    std::size_t padding = 0;
    if (version != ProtocolVersion::sslv3 && message_size >= 256 && message_size < 512)
        padding = message_size + 4 < 512 ? 512 - message_size - 4 : 1;

    wire::ByteWriter record;
    record.u8(22);  // handshake
    // Record-layer version 0x0301 for everything but SSLv3: some servers drop a ClientHello whose
    // record version is higher than what they speak (RFC 8446 5.1 allows 0x0301 for the first one).
    record.u16(version == ProtocolVersion::sslv3 ? 0x0300 : 0x0301);
    record.prefixed(2, [&](wire::ByteWriter& fragment) {
        fragment.u8(1);  // client_hello
        fragment.prefixed(3, [&](wire::ByteWriter& body) { write_body(body, padding); });
    });
    return record.take();
}

}  // namespace tls_checks::tls
