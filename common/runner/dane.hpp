#pragma once
// DANE for the plugins: the TLSA records of a service as DNSSEC proved them (or did not), the
// request that makes the handshake verify them, and the findings from what OpenSSL found.
// check_mail_tls uses it for every MX host (RFC 7672), check_tls_cert --dane for any service
// (RFC 6698, RFC 7671).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "dns/resolver.hpp"
#include "plugin/report.hpp"
#include "tls/dane.hpp"

namespace tls_checks::runner {

// "_25._tcp.mx1.example.org" (RFC 6698 3).
std::string tlsa_owner(std::uint16_t port, const std::string& host);

struct TlsaLookup {
    enum class Status {
        records,   // DNSSEC-secure TLSA records (perhaps none of them usable)
        none,      // DNSSEC proved there are none
        insecure,  // not signed: no DANE, whatever the zone says
        bogus,     // the signatures are wrong: DANE clients refuse to go on
        failed,    // no answer (SERVFAIL, timed out): DANE clients cannot go on either
    };
    Status status = Status::none;
    std::string owner;
    std::vector<tls::TlsaRecord> records;
    std::string why;  // bogus or failed: the reason
    bool timed_out = false;
};

// The lookup from libunbound's answer to TLSA `owner`.
TlsaLookup tlsa_lookup_from(const std::string& owner, const Expected<dns::Answer, dns::LookupError>& answer);

// A lookup whose host's address records are not DNSSEC-secure: TLSA records are then not
// looked at (RFC 7672 2.2.2).
TlsaLookup tlsa_not_applicable(const std::string& owner, const std::string& why);

// The request for the handshake, when the lookup found secure records.
std::optional<tls::DaneRequest> dane_request(const TlsaLookup& lookup, const std::string& host, bool smtp);

// Findings: `consequence` names who suffers ("DANE senders will defer mail to mx1.example.org").
// Secure records that nothing matches, a bogus or failed lookup: CRITICAL; authenticated: an OK
// finding naming the record; no DANE: a detail. Returns whether the service is DANE-authenticated.
bool judge_dane(plugin::Report& report, const TlsaLookup& lookup, const std::optional<tls::DaneOutcome>& outcome,
                const std::string& consequence);

}  // namespace tls_checks::runner
