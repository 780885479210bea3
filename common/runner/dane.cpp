#include "runner/dane.hpp"

namespace tls_checks::runner {

using plugin::State;

std::string tlsa_owner(std::uint16_t port, const std::string& host) {
    return "_" + std::to_string(port) + "._tcp." + host;
}

TlsaLookup tlsa_lookup_from(const std::string& owner, const Expected<dns::Answer, dns::LookupError>& answer) {
    TlsaLookup lookup;
    lookup.owner = owner;
    if (!answer) {
        lookup.status = TlsaLookup::Status::failed;
        lookup.why = answer.error().message;
        lookup.timed_out = answer.error().problem == dns::LookupProblem::timed_out;
        return lookup;
    }
    switch (answer->security) {
        case dns::Security::bogus:
            lookup.status = TlsaLookup::Status::bogus;
            lookup.why = answer->why_bogus.empty() ? "DNSSEC validation failed" : answer->why_bogus;
            return lookup;
        case dns::Security::insecure: lookup.status = TlsaLookup::Status::insecure; return lookup;
        case dns::Security::secure: break;
    }
    for (const auto& rdata : answer->records) {
        if (auto record = tls::parse_tlsa(rdata)) lookup.records.push_back(std::move(*record));
    }
    lookup.status = lookup.records.empty() && answer->records.empty() ? TlsaLookup::Status::none
                                                                      : TlsaLookup::Status::records;
    return lookup;
}

TlsaLookup tlsa_not_applicable(const std::string& owner, const std::string& why) {
    TlsaLookup lookup;
    lookup.owner = owner;
    lookup.status = TlsaLookup::Status::insecure;
    lookup.why = why;
    return lookup;
}

std::optional<tls::DaneRequest> dane_request(const TlsaLookup& lookup, const std::string& host, bool smtp) {
    if (lookup.status != TlsaLookup::Status::records) return std::nullopt;
    tls::DaneRequest request;
    request.base_domain = host;
    request.records = lookup.records;
    request.smtp = smtp;
    return request;
}

bool judge_dane(plugin::Report& report, const TlsaLookup& lookup, const std::optional<tls::DaneOutcome>& outcome,
                const std::string& consequence) {
    switch (lookup.status) {
        case TlsaLookup::Status::insecure:
            report.add_detail("DANE: none, TLSA " + lookup.owner + " is not DNSSEC-signed" +
                              (lookup.why.empty() ? "" : " (" + lookup.why + ")"));
            return false;
        case TlsaLookup::Status::none:
            report.add_detail("DANE: none, DNSSEC proves " + lookup.owner + " has no TLSA records");
            return false;
        case TlsaLookup::Status::bogus:
            report.add(State::critical, consequence + ": TLSA " + lookup.owner + " fails DNSSEC validation (" + lookup.why + ")");
            return false;
        case TlsaLookup::Status::failed:
            report.add(State::critical, consequence + ": TLSA lookup failed (" + lookup.why + ")");
            return false;
        case TlsaLookup::Status::records: break;
    }
    if (!outcome) return false;  // no handshake: the connection's failure says why
    for (const auto& unusable : outcome->unusable) report.add_detail("TLSA " + unusable);
    if (outcome->usable == 0) {
        // RFC 7672 2.2: every record unusable means TLS without authentication, not DANE.
        report.add(State::warning, "no usable TLSA record at " + lookup.owner + ": DANE does not authenticate the server");
        return false;
    }
    if (outcome->authenticated) {
        const std::string which = outcome->matched ? tls::usage_name(outcome->matched->usage) + " " +
                                                         tls::tlsa_text(*outcome->matched)
                                                   : "a TLSA record";
        report.add(State::ok, "DANE: " + which + " matches" +
                                  (outcome->matched_depth == 0 ? " the leaf"
                                                               : " at depth " + std::to_string(outcome->matched_depth)));
        return true;
    }
    report.add(State::critical, consequence + ": " + outcome->failure + " (" + std::to_string(outcome->usable) +
                                    " usable TLSA record" + (outcome->usable == 1 ? "" : "s") + " at " + lookup.owner + ")");
    return false;
}

}  // namespace tls_checks::runner
