// libFuzzer target: the LDAP BER reader (parse_ldap_extended_response: the LDAPMessage TLV, the
// messageID INTEGER, the ExtendedResponse and its optional referral and responseName) and the
// dialog's framing of the same bytes (tag, short or long length form, then exactly that many
// bytes). Promised: an error always says why; what is parsed never holds more than was given; an
// LDAPMessage is one TLV, so a byte less or a byte more is never the same message; the dialog goes
// ahead exactly when the parser reads messageID 1 with resultCode 0 from all the bytes (when they
// arrive in one read: see below).
#include <algorithm>
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

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tls_checks;
    const std::span<const std::uint8_t> message(data, size);
    const auto parsed = starttls::parse_ldap_extended_response(message);
    if (parsed) {
        const std::size_t held = parsed->diagnostic.size() + (parsed->response_name ? parsed->response_name->size() : 0);
        if (held > size) std::abort();
        if (size == 0 || starttls::parse_ldap_extended_response(message.first(size - 1))) std::abort();
        std::vector<std::uint8_t> longer(message.begin(), message.end());
        longer.push_back(0);
        if (starttls::parse_ldap_extended_response(longer)) std::abort();
    } else if (parsed.error().empty()) {
        std::abort();
    }

    // The same bytes as the server's answer to the StartTLS request. All in one read (the reader
    // takes up to 4096 bytes at once), every byte beyond the message is already buffered when the
    // dialog ends, so it goes ahead exactly when the parser accepts all the bytes; in reads of up
    // to 5 bytes (never a chunk that MemoryStream would take for its "<close>") the framing must
    // still hold, but bytes not yet received cannot count.
    const bool go_ahead = parsed && parsed->message_id == starttls::ldap_start_tls_message_id && parsed->result_code == 0;
    for (const std::size_t piece : {std::max<std::size_t>(size, 1), std::size_t{5}}) {
        std::vector<std::string> chunks;
        for (std::size_t at = 0; at < size; at += piece)
            chunks.emplace_back(reinterpret_cast<const char*>(data + at), std::min(piece, size - at));
        test::MemoryStream stream(std::move(chunks));
        net::LineReader reader(stream, net::ReaderLimits{512, 64 * 1024});
        const auto dialog = starttls::upgrade(starttls::Protocol::ldap, reader, starttls::DialogOptions{},
                                              net::Deadline::after(std::chrono::seconds(60)));
        if (!dialog && dialog.error().message.empty()) std::abort();
        if (piece >= size && size <= 4096 && dialog.has_value() != go_ahead) std::abort();
        if (go_ahead && !dialog.has_value()) std::abort();  // the whole message, nothing after it
    }
    return 0;
}
