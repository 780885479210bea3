#pragma once
// DNSSEC-validating lookups through libunbound, under the run's one deadline.
//
// Mail security rests on DNS: the MX hosts, DANE's TLSA records (meaningful only when DNSSEC
// proves them), the MTA-STS and TLS-RPT TXT records. libunbound validates every answer from the
// trust anchor (the root key of Debian's dns-root-data unless --trust-anchor says otherwise),
// forwarding to the resolvers of /etc/resolv.conf or to --dns-server. Every query of a batch is
// in flight at once (ub_resolve_async) and the batch ends at the deadline: a resolver that
// never answers cannot hold a check for the 17 s a synchronous ub_resolve() would wait.
//
// libunbound is opened with dlopen() when the first Resolver is made: the plugins that never
// look anything up through it (check_tls_version, check_starttls, check_tls_cert without --dane)
// do not pay for loading it and its five libraries at every start.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.hpp"
#include "net/deadline.hpp"

namespace tls_checks::dns {

enum class RrType : std::uint16_t { a = 1, cname = 5, mx = 15, txt = 16, aaaa = 28, tlsa = 52 };
std::string_view type_name(RrType type) noexcept;  // "MX"

// What DNSSEC proved of an answer (RFC 4035 section 4.3): secure (a chain of signatures from the
// trust anchor), insecure (proved unsigned, or outside every anchor), bogus (signatures that
// should be there are missing or wrong: an attack, or a broken zone).
enum class Security { secure, insecure, bogus };
std::string_view security_name(Security security) noexcept;  // "secure", "insecure", "bogus"

struct Answer {
    std::string name;  // as asked
    RrType type = RrType::a;
    int rcode = 0;     // 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN ...
    Security security = Security::insecure;
    std::string why_bogus;       // libunbound's reason, when bogus
    std::string canonical_name;  // after CNAMEs, without the trailing dot
    std::vector<std::vector<std::uint8_t>> records;  // RDATA in wire form, names uncompressed

    [[nodiscard]] bool nxdomain() const noexcept { return rcode == 3; }
    // NOERROR without records of the type (NODATA) or NXDOMAIN: the name has none.
    [[nodiscard]] bool none() const noexcept { return records.empty() && (rcode == 0 || rcode == 3); }
    // An A or AAAA answer's addresses as text, malformed records left out.
    [[nodiscard]] std::vector<std::string> addresses() const;
};

enum class LookupProblem { timed_out, failed };
struct LookupError {
    LookupProblem problem = LookupProblem::failed;
    std::string message;  // "MX example.org: timed out", "MX example.org: SERVFAIL"
};

struct ResolverOptions {
    // "ADDR" or "ADDR@PORT" (IPv4 or IPv6 literal): forward every query there; nullopt: to the
    // name servers of /etc/resolv.conf.
    std::optional<std::string> server;
    // Zone-file lines of DS or DNSKEY records (ub_ctx_add_ta_file).
    std::string trust_anchor_file = TLS_CHECKS_TRUST_ANCHOR;
};

struct Query {
    std::string name;
    RrType type = RrType::a;
};

class Resolver {
public:
    // Opens libunbound, forwards as `options` says and loads the trust anchor; a message naming
    // what failed ("trust anchor /x: not readable") otherwise.
    static Expected<std::unique_ptr<Resolver>, std::string> create(const ResolverOptions& options);
    ~Resolver();
    Resolver(const Resolver&) = delete;
    Resolver& operator=(const Resolver&) = delete;

    // Every query at once; returns when all are answered or at the deadline, whichever is first
    // (the unanswered ones then fail as timed_out). Answers are in the order of `queries`.
    std::vector<Expected<Answer, LookupError>> resolve(std::span<const Query> queries, const net::Deadline& deadline);

    // What answered, for messages: "127.0.0.1@5353", or "the resolvers of /etc/resolv.conf".
    [[nodiscard]] const std::string& upstream() const noexcept { return upstream_; }

    struct Context;

private:
    explicit Resolver(std::unique_ptr<Context> context, std::string upstream);
    std::unique_ptr<Context> context_;
    std::string upstream_;
};

// --dns-server as libunbound wants it: "ADDR" or "ADDR@PORT", the address an IP literal (IPv6
// possibly in brackets), the port 1-65535; an error message otherwise.
struct BadServer {
    std::string message;
};
Expected<std::string, BadServer> forwarder_address(std::string_view text);

// RDATA parsers; nullopt for malformed RDATA (a broken or hostile server).
struct MxRecord {
    std::uint16_t preference = 0;
    std::string host;  // lower case, without the trailing dot; "" for the root (a null MX)
};
std::optional<MxRecord> parse_mx(std::span<const std::uint8_t> rdata);

// The character-strings of a TXT record, concatenated (RFC 7208 3.3, RFC 8461 3.1).
std::optional<std::string> parse_txt(std::span<const std::uint8_t> rdata);

// TLSA RDATA is parsed where it is used, by tls/dane.hpp.

// An A or AAAA record's address as text ("192.0.2.1", "2001:db8::1").
std::optional<std::string> parse_address(RrType type, std::span<const std::uint8_t> rdata);

}  // namespace tls_checks::dns
