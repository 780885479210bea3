// LDAP StartTLS (RFC 4511 4.14, RFC 4513 3): an ExtendedRequest with OID 1.3.6.1.4.1.1466.20037,
// answered by an ExtendedResponse with the request's messageID whose resultCode 0 means "go
// ahead". A server about to close the connection may instead send an unsolicited Notice of
// Disconnection (4.4.1): messageID 0, responseName 1.3.6.1.4.1.1466.20036.
#include <string>

#include "starttls/binary_dialogs.hpp"
#include "wire/byte_reader.hpp"
#include "wire/byte_writer.hpp"

namespace tls_checks::starttls {

namespace {

constexpr std::string_view start_tls_oid = "1.3.6.1.4.1.1466.20037";
constexpr std::string_view notice_of_disconnection_oid = "1.3.6.1.4.1.1466.20036";

// BER (X.690 8.1): a tag, a length in short form or long form (up to 3 length bytes here), and
// the contents, read into a child reader.
bool read_tlv(wire::ByteReader& reader, std::uint8_t expected_tag, wire::ByteReader& contents, std::string_view what) {
    std::uint8_t tag = 0;
    std::uint8_t first = 0;
    if (!reader.read_u8(tag)) return false;
    if (tag != expected_tag) return reader.fail(std::string(what) + ": tag " + std::to_string(tag) + " instead of " + std::to_string(expected_tag));
    if (!reader.read_u8(first)) return false;
    std::size_t length = first;
    if ((first & 0x80u) != 0) {
        const std::size_t count = first & 0x7Fu;
        if (count == 0 || count > 3) return reader.fail(std::string(what) + ": unsupported length form");
        length = 0;
        for (std::size_t i = 0; i < count; ++i) {
            std::uint8_t byte = 0;
            if (!reader.read_u8(byte)) return false;
            length = (length << 8u) | byte;
        }
    }
    std::span<const std::uint8_t> body;
    if (!reader.read_bytes(length, body)) return false;
    contents = wire::ByteReader(body, reader.context() + " " + std::string(what));
    return true;
}

bool read_integer(wire::ByteReader& reader, std::uint8_t tag, int& value, std::string_view what) {
    wire::ByteReader contents;
    if (!read_tlv(reader, tag, contents, what)) return false;
    if (contents.empty() || contents.remaining() > 4) return reader.fail(std::string(what) + ": bad integer length");
    long long number = 0;
    bool first = true;
    while (!contents.empty()) {
        std::uint8_t byte = 0;
        if (!contents.read_u8(byte)) return false;
        number = first ? static_cast<std::int8_t>(byte) : (number << 8) | byte;
        first = false;
    }
    value = static_cast<int>(number);
    return true;
}

}  // namespace

std::vector<std::uint8_t> ldap_start_tls_request() {
    // LDAPMessage ::= SEQUENCE { messageID 1, extendedReq [APPLICATION 23] SEQUENCE {
    //     requestName [0] LDAPOID } }. Every part is shorter than 128 bytes: short-form lengths.
    wire::ByteWriter out;
    out.u8(0x30);
    out.prefixed(1, [](wire::ByteWriter& message) {
        message.u8(0x02);  // INTEGER messageID
        message.prefixed(1, [](wire::ByteWriter& id) { id.u8(static_cast<std::uint8_t>(ldap_start_tls_message_id)); });
        message.u8(0x77);  // [APPLICATION 23], constructed
        message.prefixed(1, [](wire::ByteWriter& request) {
            request.u8(0x80);  // [0] requestName, primitive
            request.prefixed(1, [](wire::ByteWriter& oid) { oid.text(start_tls_oid); });
        });
    });
    return out.take();
}

Expected<LdapExtendedResponse, std::string> parse_ldap_extended_response(std::span<const std::uint8_t> message) {
    wire::ByteReader reader(message, "LDAP response");
    wire::ByteReader sequence;
    wire::ByteReader response;
    LdapExtendedResponse parsed;
    if (!read_tlv(reader, 0x30, sequence, "LDAPMessage") || !reader.expect_empty()) return unexpected(reader.error());
    if (!read_integer(sequence, 0x02, parsed.message_id, "messageID") ||
        !read_tlv(sequence, 0x78, response, "extendedResp"))
        return unexpected(sequence.error());
    // Controls [0] may follow the operation; they do not matter here.
    wire::ByteReader matched;
    wire::ByteReader diagnostic;
    if (!read_integer(response, 0x0A, parsed.result_code, "resultCode") || !read_tlv(response, 0x04, matched, "matchedDN") ||
        !read_tlv(response, 0x04, diagnostic, "diagnosticMessage"))
        return unexpected(response.error());
    parsed.diagnostic.assign(diagnostic.rest().begin(), diagnostic.rest().end());
    // referral [3] (constructed) may come first, then responseName [10]; responseValue [11]
    // after them is skipped on purpose.
    wire::ByteReader skipped;
    if (!response.empty() && response.rest().front() == 0xA3 && !read_tlv(response, 0xA3, skipped, "referral"))
        return unexpected(response.error());
    if (!response.empty() && response.rest().front() == 0x8A) {
        wire::ByteReader name;
        if (!read_tlv(response, 0x8A, name, "responseName")) return unexpected(response.error());
        parsed.response_name = std::string(name.rest().begin(), name.rest().end());
    }
    return parsed;
}

Expected<DialogResult, DialogError> upgrade_ldap(DialogChannel& channel, const net::Deadline& deadline) {
    DialogResult result;
    result.greeting_at = std::chrono::steady_clock::now();  // LDAP servers do not greet
    net::LineReader& reader = channel.reader();
    const auto request = ldap_start_tls_request();
    if (auto sent = channel.send_starttls(request, deadline); !sent) return unexpected(std::move(sent.error()));
    // Read the tag and length first, then exactly the rest.
    auto head = reader.read_exact(2, deadline);
    if (!head) return unexpected(dialog_error(head.error()));
    std::vector<std::uint8_t> message(head->begin(), head->end());
    std::size_t length = (*head)[1];
    if ((length & 0x80u) != 0) {
        const std::size_t count = length & 0x7Fu;
        if (count == 0 || count > 3) return unexpected(DialogError{DialogFailure::protocol_error, "LDAP response: unsupported length form", {}});
        auto more = reader.read_exact(count, deadline);
        if (!more) return unexpected(dialog_error(more.error()));
        length = 0;
        for (const auto byte : *more) length = (length << 8u) | byte;
        message.insert(message.end(), more->begin(), more->end());
    }
    if (length > 64 * 1024) return unexpected(DialogError{DialogFailure::protocol_error, "LDAP response of " + std::to_string(length) + " bytes", {}});
    auto body = reader.read_exact(length, deadline);
    if (!body) return unexpected(dialog_error(body.error()));
    message.insert(message.end(), body->begin(), body->end());
    auto response = parse_ldap_extended_response(message);
    if (!response) return unexpected(DialogError{DialogFailure::protocol_error, response.error(), {}});
    if (response->message_id == 0) {
        // RFC 4511 4.4: messageID 0 is an unsolicited notification, never an answer.
        if (response->response_name == notice_of_disconnection_oid)
            return unexpected(DialogError{DialogFailure::closed,
                                          "LDAP server sent a Notice of Disconnection (resultCode " +
                                              std::to_string(response->result_code) + ", diagnostic '" +
                                              response->diagnostic + "')",
                                          {}});
        return unexpected(DialogError{DialogFailure::protocol_error,
                                      "LDAP server sent an unsolicited notification (messageID 0, responseName '" +
                                          response->response_name.value_or("") + "') instead of the StartTLS response",
                                      {}});
    }
    if (response->message_id != ldap_start_tls_message_id)
        return unexpected(DialogError{DialogFailure::protocol_error,
                                      "LDAP response with messageID " + std::to_string(response->message_id) +
                                          " to the StartTLS request with messageID " +
                                          std::to_string(ldap_start_tls_message_id),
                                      {}});
    result.capabilities.push_back("StartTLS extended operation: resultCode " + std::to_string(response->result_code));
    if (response->result_code != 0) {
        const std::string text = "resultCode " + std::to_string(response->result_code) +
                                 (response->diagnostic.empty() ? "" : " (" + response->diagnostic + ")");
        // protocolError (2): the server does not know the operation at all.
        return unexpected(DialogError{response->result_code == 2 ? DialogFailure::not_offered : DialogFailure::refused, text,
                                      result.capabilities});
    }
    channel.go_ahead();
    return result;
}

}  // namespace tls_checks::starttls
