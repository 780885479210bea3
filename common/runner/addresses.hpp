#pragma once
// Every address of a name. Operators are paged when one address of several serves an old
// certificate after a renewal, has lost STARTTLS, or has a broken IPv6 path: each plugin checks
// every address of -H on its own, in parallel under the one deadline, and the worst state wins,
// naming the address that decided it. --addresses first checks only the first address to accept
// a connection (Happy Eyeballs), -I only that address.

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "net/deadline.hpp"
#include "net/resolve.hpp"
#include "plugin/options.hpp"
#include "plugin/report.hpp"
#include "runner/connection.hpp"

namespace tls_checks::runner {

struct AddressPlan {
    std::vector<net::Endpoint> endpoints;  // RFC 8305 order; at most --max-addresses when `each`
    std::size_t resolved = 0;              // the addresses -H has (after -4/-6)
    bool each = false;                     // several endpoints, each checked on its own
    std::string name;                      // -H, for "2 other addresses of NAME OK"
    std::size_t max_addresses = 0;         // --max-addresses, for the note on those not checked
    std::vector<std::string> not_checked;  // the addresses beyond --max-addresses
};

// Resolves -H (or -I) and decides which addresses the run checks and how.
Expected<AddressPlan, Failure> plan_addresses(const plugin::ConnectionOptions& options, const net::Deadline& deadline);

// What one check connects to: one endpoint when each address is checked on its own, every
// endpoint for Happy Eyeballs otherwise; and how its messages name where it went.
struct AddressTarget {
    std::span<const net::Endpoint> endpoints;
    std::string where;  // "127.0.0.3:443" when each address is checked on its own, else "host:port"
};

// Runs `check` once per address, in parallel, when plan.each; once over every endpoint otherwise.
// Each check has the whole deadline; its report names nothing but its findings (no run time).
using AddressCheck = std::function<plugin::Report(std::size_t index, const AddressTarget& target)>;
std::vector<plugin::Report> check_addresses(const AddressPlan& plan, const plugin::ConnectionOptions& options,
                                            const AddressCheck& check);

// The run's report from the reports of check_addresses, in the same order. With one report, that
// report with the perfdata addresses=1 and addresses_failing. With several: every address that
// is not OK in the summary, the worst first (the first address when all are OK), then how many
// others are OK; `across` are findings about the addresses together ("addresses disagree"); the
// long output has a line per address and the details of those not OK (of all with -v); the
// perfdata are the deciding address's plus addresses and addresses_failing.
plugin::Report combine_addresses(const std::string& prefix, const AddressPlan& plan, std::vector<plugin::Report> reports,
                                 const std::vector<plugin::Finding>& across, int verbosity);

// The network part of a run, for every plugin: plans the addresses (a resolution failure is the
// report, behind `context`), checks them with `check` and combines the reports, with the findings
// `across` makes from what the checks left behind (called after every check has ended). At most
// options.max_addresses checks run, with indexes below that.
using AcrossAddresses = std::function<std::vector<plugin::Finding>(const AddressPlan& plan)>;
plugin::Report check_every_address(const std::string& prefix, const std::string& context,
                                   const plugin::ConnectionOptions& options, const net::Deadline& deadline,
                                   const AddressCheck& check, const AcrossAddresses& across = {});

}  // namespace tls_checks::runner
