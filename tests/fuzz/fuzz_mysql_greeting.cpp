// libFuzzer target: the MySQL/MariaDB initial handshake packet (parse_mysql_greeting), alone and
// framed as the first packet of the dialog. Promised: a parsed greeting is protocol 10 with a
// server version shorter than the payload, without NUL, and the low capability flags where the
// packet has them; only an ERR packet (first byte 0xFF) is a refusal, anything else that cannot
// be read is a protocol error; the dialog goes ahead (and sends the 36-byte SSLRequest) exactly
// when the greeting parses with CLIENT_SSL, and sends nothing otherwise.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "../unit/memory_stream.hpp"
#include "starttls/binary_dialogs.hpp"
#include "starttls/dialog.hpp"

namespace {

constexpr std::uint32_t client_ssl = 0x00000800;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tls_checks;
    const std::span<const std::uint8_t> payload(data, size);
    const auto greeting = starttls::parse_mysql_greeting(payload);
    if (greeting) {
        const std::string& version = greeting->server_version;
        if (greeting->protocol_version != 10 || version.size() >= size || version.find('\0') != std::string::npos) std::abort();
        // protocol byte, version and its NUL, connection id (4), scramble (8), filler (1), flags (2)
        const std::size_t flags_at = 1 + version.size() + 1 + 4 + 8 + 1;
        if (size < flags_at + 2) std::abort();
        const auto lower = static_cast<std::uint32_t>(payload[flags_at] | (payload[flags_at + 1] << 8u));
        if ((greeting->capabilities & 0xFFFFu) != lower) std::abort();
    } else {
        if (greeting.error().message.empty()) std::abort();
        if (greeting.error().server_error && (size == 0 || payload[0] != 0xFF)) std::abort();
    }

    // Framed as the server's first packet (sequence 0), in reads of up to 5 bytes.
    if (size == 0 || size > 64 * 1024) return 0;  // the dialog reads greetings of 1 to 64 KiB
    std::string packet{static_cast<char>(size & 0xFFu), static_cast<char>((size >> 8u) & 0xFFu),
                       static_cast<char>((size >> 16u) & 0xFFu), '\0'};
    packet.append(reinterpret_cast<const char*>(data), size);
    std::vector<std::string> chunks;
    for (std::size_t at = 0; at < packet.size(); at += 5) chunks.push_back(packet.substr(at, 5));
    test::MemoryStream stream(std::move(chunks));
    net::LineReader reader(stream, net::ReaderLimits{512, 64 * 1024});
    const auto dialog = starttls::upgrade(starttls::Protocol::mysql, reader, starttls::DialogOptions{},
                                          net::Deadline::after(std::chrono::seconds(60)));
    const bool offered = greeting && (greeting->capabilities & client_ssl) != 0;
    if (dialog.has_value() != offered) std::abort();
    if (dialog.has_value() ? stream.written.size() != 36 : !stream.written.empty()) std::abort();
    if (!dialog) {
        const auto kind = dialog.error().kind;
        if (kind == starttls::DialogFailure::injection || kind == starttls::DialogFailure::timed_out) std::abort();
        if ((kind == starttls::DialogFailure::refused) != (!greeting && greeting.error().server_error)) std::abort();
    }
    return 0;
}
