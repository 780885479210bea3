#pragma once
// The TLS session as a Stream, so that a STARTTLS dialog can read capabilities again over TLS
// with the same line reader and deadline it used in plaintext.

#include "net/socket.hpp"
#include "net/stream.hpp"
#include "tls/handshake.hpp"

namespace tls_checks::tls {

class TlsStream final : public net::Stream {
public:
    TlsStream(TlsSession& session, net::Socket& socket) : session_(session), socket_(socket) {}

    Expected<std::size_t, net::NetError> read_some(std::span<unsigned char> buffer, const net::Deadline& deadline) override;
    Expected<Done, net::NetError> write_all(std::span<const unsigned char> bytes, const net::Deadline& deadline) override;
    [[nodiscard]] const std::string& peer() const override { return socket_.peer_text; }

private:
    TlsSession& session_;
    net::Socket& socket_;
};

}  // namespace tls_checks::tls
