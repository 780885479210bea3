#include "runner/connection.hpp"

#include <unistd.h>

#include <array>

#include "net/connector.hpp"
#include "net/line_reader.hpp"
#include "net/resolve.hpp"
#include "tls/client_hello.hpp"
#include "tls/probe.hpp"

namespace tls_checks::runner {

using plugin::State;

net::Target target_from(const plugin::ConnectionOptions& options) {
    net::Target target;
    target.hostname = options.hostname;
    target.address = options.address;
    target.port = options.port;
    switch (options.ip_version) {
        case plugin::IpVersion::any: target.family = net::AddressFamily::any; break;
        case plugin::IpVersion::v4: target.family = net::AddressFamily::ipv4; break;
        case plugin::IpVersion::v6: target.family = net::AddressFamily::ipv6; break;
    }
    return target;
}

net::Deadline deadline_from(const plugin::ConnectionOptions& options) {
    return net::Deadline::after(std::chrono::duration<double>(options.timeout_seconds));
}

void report_client_certificate_request(plugin::Report& report, const tls::TlsSession& session,
                                       const plugin::ConnectionOptions& options) {
    if (!session.completed) {
        // A monitoring check has no certificate to give unless told; that the server insists
        // on one is its configuration, not a fault (the chain it sent is judged all the same).
        // With --client-cert the user asked for a complete handshake, and did not get one.
        if (options.client_certificate) {
            report.add(State::warning, "server refused client certificate " + *options.client_certificate +
                                           " (the handshake ended with " + session.ended_by + ")");
        } else {
            report.add(State::ok, "server requires a client certificate (the handshake ended with " +
                                      session.ended_by + " after its certificate request)");
        }
        return;
    }
    if (!session.client_certificate_requested) {
        if (options.client_certificate) report.add_detail("server did not ask for a client certificate");
    } else if (options.client_certificate) {
        report.add_detail("client certificate " + *options.client_certificate + " presented at the server's request");
    } else {
        report.add_detail("server asks for a client certificate; none was sent");
    }
}

std::optional<std::string> server_name_for(const plugin::ConnectionOptions& options) {
    if (options.sni) return options.sni;
    if (net::is_ip_literal(options.hostname)) return std::nullopt;
    return options.hostname;
}

Expected<std::optional<starttls::Protocol>, std::string> starttls_protocol(const plugin::ConnectionOptions& options) {
    if (options.starttls == "none") return std::optional<starttls::Protocol>{};
    if (options.starttls == "auto") return starttls::protocol_for_port(options.port);
    if (auto protocol = starttls::parse_protocol(options.starttls)) return std::optional<starttls::Protocol>{*protocol};
    std::string known;
    for (const auto& entry : starttls::all_protocols()) known += (known.empty() ? "" : ", ") + std::string(entry.name);
    return unexpected("bad --starttls '" + options.starttls + "': want auto, none, " + known);
}

plugin::ConnectionOptions with_protocol_port(plugin::ConnectionOptions options) {
    if (!options.port_given) {
        if (const auto protocol = starttls::parse_protocol(options.starttls))
            options.port = starttls::info(*protocol).default_port;
    }
    return options;
}

starttls::DialogOptions dialog_options_from(const plugin::ConnectionOptions& options) {
    starttls::DialogOptions dialog;
    if (options.ehlo) {
        dialog.ehlo_name = *options.ehlo;
    } else {
        std::array<char, 256> name{};
        if (::gethostname(name.data(), name.size() - 1) == 0 && name[0] != '\0') dialog.ehlo_name = name.data();
    }
    dialog.xmpp_domain = options.xmpp_domain.value_or(options.hostname);
    return dialog;
}

State state_for(const net::NetError& error, const plugin::ConnectionOptions& options) {
    return error.kind == net::NetErrorKind::timed_out ? options.timeout_state : State::critical;
}

Expected<std::vector<net::Endpoint>, Failure> resolve_target(const plugin::ConnectionOptions& options,
                                                             const net::Deadline& deadline) {
    const auto target = target_from(options);
    auto endpoints = net::resolve(target.address.value_or(target.hostname), target.port, target.family, deadline);
    if (!endpoints) {
        const auto& error = endpoints.error();
        return unexpected(Failure{state_for(error, options), error.message, Stage::resolve, {}, error.message, {}});
    }
    return std::move(*endpoints);
}

Expected<starttls::DialogResult, Failure> run_dialog(starttls::Protocol protocol, net::Socket& socket,
                                                     const plugin::ConnectionOptions& options,
                                                     const net::Deadline& deadline) {
    net::LineReader reader(socket);
    auto dialog = starttls::upgrade(protocol, reader, dialog_options_from(options), deadline);
    if (!dialog) {
        const auto& error = dialog.error();
        const State state = error.kind == starttls::DialogFailure::timed_out ? options.timeout_state : State::critical;
        std::string detail;
        switch (error.kind) {
            case starttls::DialogFailure::not_offered: detail = "STARTTLS not offered (" + error.message + ")"; break;
            case starttls::DialogFailure::refused: detail = "STARTTLS refused: " + error.message; break;
            case starttls::DialogFailure::timed_out: detail = "dialog timed out: " + error.message; break;
            case starttls::DialogFailure::closed:
            case starttls::DialogFailure::protocol_error:
            case starttls::DialogFailure::injection: detail = "dialog failed: " + error.message; break;
        }
        const std::string message = std::string(starttls::info(protocol).name) + ": " + detail;
        return unexpected(Failure{state, message, Stage::dialog, error.kind, detail, error.capabilities});
    }
    return std::move(*dialog);
}

namespace {

// After a failed handshake: does the server insist on a post-quantum hybrid group that this
// OpenSSL cannot offer (Debian 12's OpenSSL 3.0 has no ML-KEM; 3.5 has)? One hand-built TLS 1.3
// hello that lists the hybrids tells: the server answers with a HelloRetryRequest for the group
// it wants. Then the check cannot judge the service, through no fault of the service.
std::optional<std::string> group_this_openssl_lacks(const plugin::ConnectionOptions& options,
                                                    std::optional<starttls::Protocol> protocol,
                                                    const net::Endpoint& endpoint, const net::Deadline& deadline) {
    if (tls::openssl_has_hybrid_groups() || deadline.expired()) return std::nullopt;
    tls::HelloOptions hello = tls::random_hello_options();
    hello.server_name = server_name_for(options);
    const std::vector<tls::ProbeRequest> requests{
        {tls::ProtocolVersion::tls1_3, tls::build_client_hello(tls::ProtocolVersion::tls1_3, hello)}};
    const auto results =
        protocol ? tls::run_probes_with_preamble(
                       endpoint, requests,
                       [&](std::size_t, net::Socket& socket, const net::Deadline& until) {
                           return run_dialog(*protocol, socket, options, until).has_value();
                       },
                       deadline, 1)
                 : tls::run_probes(endpoint, requests, deadline, 1);
    const auto& answer = results.front().answer;
    if (answer.verdict != tls::ProbeVerdict::accepted || !answer.group || !tls::is_post_quantum_hybrid(*answer.group))
        return std::nullopt;
    return tls::named_group_name(*answer.group);
}

}  // namespace

Expected<Connection, Failure> open_tls(const plugin::ConnectionOptions& options, std::optional<starttls::Protocol> protocol,
                                       std::span<const net::Endpoint> endpoints, const net::Deadline& deadline,
                                       const std::optional<tls::DaneRequest>& dane) {
    Connection connection;
    auto connected = net::connect_first(endpoints, deadline);
    if (!connected) {
        const auto& error = connected.error();
        return unexpected(Failure{state_for(error, options), error.message, Stage::connect, {}, error.message, {}});
    }
    connection.socket = std::move(connected->socket);
    connection.endpoint = endpoints[connected->index];
    connection.connected_at = std::chrono::steady_clock::now();
    if (protocol) {
        auto dialog = run_dialog(*protocol, connection.socket, options, deadline);
        if (!dialog) return unexpected(std::move(dialog.error()));
        connection.dialog = std::move(*dialog);
    }
    tls::HandshakeOptions handshake_options;
    handshake_options.server_name = server_name_for(options);
    handshake_options.client_certificate = options.client_certificate;
    handshake_options.client_key = options.client_key;
    handshake_options.request_ocsp_staple = options.request_ocsp_staple;
    handshake_options.dane = dane;
    auto session = tls::handshake(connection.socket, handshake_options, deadline);
    if (!session) {
        const auto& error = session.error();
        // A client certificate that cannot be used is the user's input, not the server's fault.
        const State state = error.kind == tls::TlsErrorKind::timed_out                ? options.timeout_state
                            : error.kind == tls::TlsErrorKind::bad_client_certificate ? State::unknown
                                                                                       : State::critical;
        if (error.kind == tls::TlsErrorKind::handshake_failed) {
            if (auto group = group_this_openssl_lacks(options, protocol, connection.endpoint, deadline)) {
                const std::string why = "the server requires key exchange group " + *group + ", which this OpenSSL (" +
                                        OpenSSL_version(OPENSSL_VERSION_STRING) + ") does not offer";
                return unexpected(Failure{State::unknown, protocol ? std::string(starttls::info(*protocol).name) +
                                                                         " after STARTTLS: " + why
                                                                   : why,
                                          Stage::handshake, {}, why, {}});
            }
        }
        std::string detail = error.message;
        if (error.kind == tls::TlsErrorKind::timed_out)
            detail += " (limit " + std::to_string(static_cast<int>(options.timeout_seconds + 0.5)) + " s)";
        const std::string message =
            protocol ? std::string(starttls::info(*protocol).name) + " after STARTTLS: " + detail : detail;
        return unexpected(Failure{state, message, Stage::handshake, {}, detail, {}});
    }
    connection.session = std::move(*session);
    connection.handshake_done_at = std::chrono::steady_clock::now();
    return connection;
}

}  // namespace tls_checks::runner
