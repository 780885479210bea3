#include "starttls/dialog_channel.hpp"

#include <string>

namespace tls_checks::starttls {

namespace {

std::string count_of_bytes(std::size_t bytes) { return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes"); }

std::span<const unsigned char> as_bytes(std::string_view text) {
    return std::span(reinterpret_cast<const unsigned char*>(text.data()), text.size());
}

}  // namespace

DialogError bytes_after_go_ahead(std::size_t bytes) {
    return DialogError{DialogFailure::injection,
                       "server sent " + count_of_bytes(bytes) + " after its STARTTLS reply, before the handshake (injection risk)",
                       {}};
}

DialogError answered_before_asked(std::size_t bytes) {
    return DialogError{DialogFailure::injection,
                       "server answered STARTTLS before it was asked: " + count_of_bytes(bytes) +
                           " beyond its last reply were waiting before the command was sent (injection risk)",
                       {}};
}

Expected<Done, DialogError> DialogChannel::send(std::span<const unsigned char> bytes, const net::Deadline& deadline) {
    auto written = reader_.stream().write_all(bytes, deadline);
    if (!written) return unexpected(dialog_error(written.error()));
    return Done{};
}

Expected<Done, DialogError> DialogChannel::send(std::string_view text, const net::Deadline& deadline) {
    return send(as_bytes(text), deadline);
}

Expected<Done, DialogError> DialogChannel::send_starttls(std::span<const unsigned char> bytes, const net::Deadline& deadline) {
    if (const std::size_t waiting = leftover(); waiting != 0)
        return unexpected(go_ahead_at_ ? bytes_after_go_ahead(waiting) : answered_before_asked(waiting));
    return send(bytes, deadline);
}

Expected<Done, DialogError> DialogChannel::send_starttls(std::string_view text, const net::Deadline& deadline) {
    return send_starttls(as_bytes(text), deadline);
}

void DialogChannel::go_ahead() {
    if (!go_ahead_at_) go_ahead_at_ = std::chrono::steady_clock::now();
}

std::size_t DialogChannel::leftover() const noexcept {
    std::size_t total = reader_.buffered();
    for (const auto& buffer : stacked_) total += buffer->buffered();
    return total;
}

Expected<Done, DialogError> DialogChannel::after_go_ahead() const {
    if (!go_ahead_at_) return unexpected(DialogError{DialogFailure::protocol_error, "the dialog ended without a go-ahead", {}});
    if (const std::size_t left = leftover(); left != 0) return unexpected(bytes_after_go_ahead(left));
    return Done{};
}

}  // namespace tls_checks::starttls
