#include "tls/probe_answer.hpp"

#include <vector>

#include "tls/client_hello.hpp"
#include "tls/server_hello.hpp"
#include "wire/byte_reader.hpp"
#include "wire/hex.hpp"

namespace tls_checks::tls {

namespace {

ProbeAnswer make(ProbeVerdict verdict, std::string detail) {
    ProbeAnswer answer;
    answer.verdict = verdict;
    answer.detail = std::move(detail);
    return answer;
}

// Bytes that are no SSL/TLS record at all: an HTML page, a mail banner, noise.
ProbeAnswer not_ssl_tls(std::string detail, std::span<const std::uint8_t> received) {
    ProbeAnswer answer = make(ProbeVerdict::unknown, std::move(detail));
    answer.non_tls_text = printable_prefix(received);
    return answer;
}

std::optional<ProbeAnswer> cut_short(bool peer_closed) {
    if (!peer_closed) return std::nullopt;
    return make(ProbeVerdict::unknown, "connection closed in the middle of the answer");
}

ProbeAnswer judge_server_hello(ProtocolVersion probed, const ServerHello& hello) {
    const std::uint16_t offered = wire_version(probed);
    const std::uint16_t chosen = hello.negotiated_version();
    ProbeAnswer answer;
    answer.negotiated = chosen;
    answer.cipher_suite = hello.cipher_suite;
    answer.hello_retry_request = hello.hello_retry_request;
    answer.group = hello.selected_group;
    if (hello.hello_retry_request) {
        // RFC 8446 4.1.4: a HelloRetryRequest selecting TLS 1.3 means the server speaks it and
        // wants another key share (often a post-quantum hybrid); the version question is answered.
        // Without a key_share it only wants a cookie back.
        if (probed == ProtocolVersion::tls1_3 && chosen == 0x0304) {
            answer.verdict = ProbeVerdict::accepted;
            answer.detail = "HelloRetryRequest for " +
                            (hello.selected_group ? named_group_name(*hello.selected_group) : std::string("TLSv1.3"));
        } else {
            answer.verdict = ProbeVerdict::unknown;
            answer.detail = "HelloRetryRequest with version " + wire_version_name(chosen);
        }
        return answer;
    }
    if (chosen == offered) {
        answer.verdict = ProbeVerdict::accepted;
        answer.detail = "ServerHello " + wire_version_name(chosen) + ", cipher " + wire::hex16(hello.cipher_suite);
        if (hello.selected_group) answer.detail += ", group " + named_group_name(*hello.selected_group);
    } else if (chosen < offered) {
        answer.verdict = ProbeVerdict::refused;
        answer.detail = "server chose " + wire_version_name(chosen) + " instead";
    } else {
        answer.verdict = ProbeVerdict::unknown;
        answer.detail = "server chose " + wire_version_name(chosen) + ", above the offered " + wire_version_name(offered);
    }
    return answer;
}

std::optional<ProbeAnswer> interpret_tls(ProtocolVersion probed, std::span<const std::uint8_t> received,
                                         bool peer_closed) {
    std::vector<std::uint8_t> handshake;  // handshake fragments, reassembled across records
    while (true) {
        if (received.empty()) {
            if (!peer_closed) return std::nullopt;
            if (handshake.empty()) return make(ProbeVerdict::refused, "connection closed without an answer");
            return cut_short(peer_closed);
        }
        const RecordParse parsed = parse_record(received);
        if (parsed.status == RecordStatus::need_more) return cut_short(peer_closed);
        if (parsed.status == RecordStatus::malformed) {
            if ((received.front() & 0x80u) != 0) return not_ssl_tls("answered in SSLv2 framing", received);
            return not_ssl_tls("not TLS: '" + printable_prefix(received) + "'", received);
        }
        const Record& record = parsed.record;
        received = received.subspan(record.size);
        if (record.type == ContentType::alert) {
            Alert alert;
            std::string error;
            if (!parse_alert(record.fragment, alert, error)) return make(ProbeVerdict::unknown, error);
            // A warning such as unrecognized_name may precede the ServerHello; keep reading.
            if (alert.level == 1 && alert.description != 0) continue;
            ProbeAnswer answer = make(ProbeVerdict::refused, "alert " + alert_name(alert.description));
            answer.alert = alert;
            return answer;
        }
        if (record.type != ContentType::handshake)
            return make(ProbeVerdict::unknown, "unexpected record type " + std::to_string(static_cast<int>(record.type)));
        handshake.insert(handshake.end(), record.fragment.begin(), record.fragment.end());

        wire::ByteReader reader(handshake, "handshake");
        std::uint8_t type = 0;
        std::uint32_t length = 0;
        if (!reader.read_u8(type) || !reader.read_u24(length)) continue;  // header split across records
        if (type != 2) return make(ProbeVerdict::unknown, "expected a ServerHello, got handshake type " + std::to_string(type));
        std::span<const std::uint8_t> body;
        if (!reader.read_bytes(length, body)) {
            if (length > 0xFFFF) return make(ProbeVerdict::unknown, "ServerHello length " + std::to_string(length) + " is absurd");
            continue;  // the rest is in the next record
        }
        auto hello = parse_server_hello(body);
        if (!hello) return make(ProbeVerdict::unknown, "malformed " + hello.error());
        return judge_server_hello(probed, *hello);
    }
}

std::optional<ProbeAnswer> interpret_sslv2(std::span<const std::uint8_t> received, bool peer_closed) {
    if (received.empty()) {
        if (!peer_closed) return std::nullopt;
        return make(ProbeVerdict::refused, "connection closed without an answer");
    }
    const std::uint8_t first = received.front();
    if ((first & 0x80u) == 0) {
        // Not SSLv2 framing. A TLS record (an alert, mostly) is a clear no; anything else is noise.
        if (first >= 20 && first <= 23) {
            const RecordParse parsed = parse_record(received);
            if (parsed.status == RecordStatus::need_more) return cut_short(peer_closed);
            if (parsed.status == RecordStatus::complete) {
                Alert alert;
                std::string error;
                if (parsed.record.type == ContentType::alert && parse_alert(parsed.record.fragment, alert, error)) {
                    ProbeAnswer answer = make(ProbeVerdict::refused, "answered with TLS alert " + alert_name(alert.description));
                    answer.alert = alert;
                    return answer;
                }
                return make(ProbeVerdict::refused, "answered in TLS, not SSLv2");
            }
        }
        return not_ssl_tls("not SSL/TLS: '" + printable_prefix(received) + "'", received);
    }
    // SSLv2 draft: a 2-byte header (high bit set) carries a 15-bit length and no padding.
    wire::ByteReader reader(received, "SSLv2 record");
    std::uint16_t header = 0;
    std::span<const std::uint8_t> message;
    if (!reader.read_u16(header)) return cut_short(peer_closed);
    const std::size_t length = header & 0x7FFFu;
    if (length == 0) return make(ProbeVerdict::unknown, "empty SSLv2 record");
    if (!reader.read_bytes(length, message)) return cut_short(peer_closed);
    if (message.front() == 0) {  // MSG-ERROR
        wire::ByteReader error_reader(message.subspan(1), "SSLv2 ERROR");
        std::uint16_t code = 0;
        const std::string code_text = error_reader.read_u16(code) ? " code " + std::to_string(code) : "";
        return make(ProbeVerdict::refused, "SSLv2 ERROR" + code_text);
    }
    auto hello = parse_sslv2_server_hello(message);
    if (!hello) return make(ProbeVerdict::unknown, "malformed " + hello.error());
    ProbeAnswer answer;
    answer.verdict = ProbeVerdict::accepted;  // the protocol is enabled, whatever it offers
    answer.negotiated = hello->version;
    answer.sslv2_cipher_count = hello->cipher_spec_count;
    answer.detail = hello->cipher_spec_count == 0
                        ? "SERVER-HELLO lists no ciphers (SSLv2 is still enabled)"
                        : "SERVER-HELLO with " + std::to_string(hello->cipher_spec_count) + " cipher kinds";
    return answer;
}

}  // namespace

std::string printable_prefix(std::span<const std::uint8_t> bytes, std::size_t max_chars) {
    std::string out;
    for (const std::uint8_t byte : bytes) {
        if (byte == '\r' || byte == '\n' || out.size() >= max_chars) break;
        out += (byte >= 0x20 && byte < 0x7F && byte != '|') ? static_cast<char>(byte) : '.';
    }
    return out;
}

std::optional<ProbeAnswer> interpret_answer(ProtocolVersion probed, std::span<const std::uint8_t> received,
                                            bool peer_closed) {
    if (probed == ProtocolVersion::sslv2) return interpret_sslv2(received, peer_closed);
    return interpret_tls(probed, received, peer_closed);
}

}  // namespace tls_checks::tls
