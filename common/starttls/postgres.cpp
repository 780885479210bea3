// PostgreSQL (protocol 3, "SSL Session Encryption"): an SSLRequest (length 8, code 80877103)
// answered by one byte, 'S' to go ahead or 'N' when SSL is off.
#include "starttls/binary_dialogs.hpp"
#include "wire/byte_writer.hpp"

namespace tls_checks::starttls {

Expected<DialogResult, DialogError> upgrade_postgres(DialogChannel& channel, const net::Deadline& deadline) {
    DialogResult result;
    result.greeting_at = std::chrono::steady_clock::now();  // the client speaks first
    wire::ByteWriter request;
    request.u32(8);
    request.u32(80877103);  // 1234 << 16 | 5679
    if (auto sent = channel.send_starttls(request.data(), deadline); !sent) return unexpected(std::move(sent.error()));
    auto answer = channel.reader().read_exact(1, deadline);
    if (!answer) return unexpected(dialog_error(answer.error()));
    switch (answer->front()) {
        case 'S': break;
        case 'N': return unexpected(DialogError{DialogFailure::not_offered, "the server answered 'N': SSL is off", {}});
        // Servers before 7.0, or in trouble, answer with an ErrorResponse.
        case 'E': return unexpected(DialogError{DialogFailure::refused, "the server answered the SSLRequest with an error", {}});
        default:
            return unexpected(DialogError{DialogFailure::protocol_error,
                                          "unexpected answer byte " + std::to_string(answer->front()) + " to SSLRequest", {}});
    }
    result.capabilities.push_back("SSLRequest: S");
    // CVE-2021-23222: bytes after 'S' would be read as if they came over TLS; upgrade() checks.
    channel.go_ahead();
    return result;
}

}  // namespace tls_checks::starttls
