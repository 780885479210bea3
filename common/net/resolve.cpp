#include "net/resolve.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <array>
#include <cstring>
#include <future>
#include <memory>
#include <stdexcept>
#include <system_error>
#include <thread>

namespace tls_checks::net {

bool is_ip_literal(std::string_view text) noexcept {
    std::array<char, 64> copy{};
    if (text.empty() || text.size() >= copy.size()) return false;
    std::memcpy(copy.data(), text.data(), text.size());
    std::array<unsigned char, sizeof(in6_addr)> binary{};
    return inet_pton(AF_INET, copy.data(), binary.data()) == 1 ||
           inet_pton(AF_INET6, copy.data(), binary.data()) == 1;
}

std::string host_port_text(std::string_view host, std::uint16_t port) {
    if (host.find(':') != std::string_view::npos) return "[" + std::string(host) + "]:" + std::to_string(port);
    return std::string(host) + ":" + std::to_string(port);
}

namespace {

struct Lookup {
    int status = 0;
    std::vector<Endpoint> endpoints;
};

std::string numeric_host(const sockaddr* address, socklen_t length) {
    std::array<char, NI_MAXHOST> host{};
    if (getnameinfo(address, length, host.data(), host.size(), nullptr, 0, NI_NUMERICHOST) != 0) return "?";
    return host.data();
}

Lookup run_getaddrinfo(const std::string& host, std::uint16_t port, AddressFamily family, bool numeric_only) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_family = family == AddressFamily::ipv4 ? AF_INET : family == AddressFamily::ipv6 ? AF_INET6 : AF_UNSPEC;
    hints.ai_flags = AI_NUMERICSERV | (numeric_only ? AI_NUMERICHOST : 0);
    addrinfo* raw = nullptr;
    Lookup lookup;
    lookup.status = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &raw);
    if (lookup.status != 0) return lookup;
    const std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owned(raw, &freeaddrinfo);
    for (const addrinfo* entry = raw; entry != nullptr; entry = entry->ai_next) {
        if (entry->ai_addrlen > sizeof(sockaddr_storage)) continue;
        Endpoint endpoint;
        std::memcpy(&endpoint.address, entry->ai_addr, entry->ai_addrlen);
        endpoint.length = entry->ai_addrlen;
        endpoint.family = entry->ai_family;
        endpoint.text = host_port_text(numeric_host(entry->ai_addr, entry->ai_addrlen), port);
        bool duplicate = false;
        for (const auto& seen : lookup.endpoints) duplicate = duplicate || seen.text == endpoint.text;
        if (!duplicate) lookup.endpoints.push_back(std::move(endpoint));
    }
    return lookup;
}

std::string family_text(AddressFamily family) {
    switch (family) {
        case AddressFamily::ipv4: return " (IPv4 only)";
        case AddressFamily::ipv6: return " (IPv6 only)";
        case AddressFamily::any: break;
    }
    return "";
}

}  // namespace

Expected<std::vector<Endpoint>, NetError> resolve(const std::string& host, std::uint16_t port, AddressFamily family,
                                                  const Deadline& deadline) {
    Lookup lookup;
    if (is_ip_literal(host)) {
        lookup = run_getaddrinfo(host, port, family, true);
    } else {
        // The helper thread owns copies of everything it touches, so it may outlive this call.
        auto promise = std::make_shared<std::promise<Lookup>>();
        auto future = promise->get_future();
        try {
            std::thread([promise, host, port, family] { promise->set_value(run_getaddrinfo(host, port, family, false)); })
                .detach();
        } catch (const std::system_error& error) {
            // At the process limit (EAGAIN): an UNKNOWN that says so, not a silent abort.
            throw std::runtime_error(std::string("cannot start the name resolution thread: ") + error.what());
        }
        if (future.wait_until(deadline.end()) != std::future_status::ready)
            return unexpected(NetError{NetErrorKind::timed_out, "resolving " + host + " timed out"});
        lookup = future.get();
    }
    if (lookup.status != 0) {
        return unexpected(NetError{NetErrorKind::resolve_failed,
                                   "cannot resolve " + host + family_text(family) + ": " + gai_strerror(lookup.status)});
    }
    if (lookup.endpoints.empty())
        return unexpected(NetError{NetErrorKind::resolve_failed, "no address for " + host + family_text(family)});
    return lookup.endpoints;
}

}  // namespace tls_checks::net
