#include "runner/addresses.hpp"

#include <optional>

#include "base/parallel.hpp"
#include "net/connector.hpp"
#include "plugin/duration_text.hpp"

namespace tls_checks::runner {

using plugin::State;

namespace {

// One item of line 1: a summary with the place of its address marked, and the addresses whose
// summaries are alike but for that place ("[::1]:443 and 127.0.0.2:443 connect ... timed out").
struct SummaryItem {
    State state = State::ok;
    std::string pattern;  // the summary, address_mark where the address goes; or a finding's text
    std::vector<std::string> where;

    static constexpr char address_mark = '\x01';

    [[nodiscard]] std::string text() const {
        std::string addresses;
        for (std::size_t i = 0; i < where.size(); ++i)
            addresses += (i == 0 ? "" : i + 1 == where.size() ? " and " : ", ") + where[i];
        // The first mark is the list, a later one (a connect error names its address again)
        // the one address, or "each" of several.
        std::string out;
        bool named = false;
        for (const char c : pattern) {
            if (c != address_mark) out += c;
            else out += named && where.size() > 1 ? "each" : addresses;
            named = named || c == address_mark;
        }
        return out;
    }
};

// Adds an address's summary to the item of the same state whose summary is alike, or as a new one.
void add_alike(std::vector<SummaryItem>& items, State state, std::string summary, const std::string& where) {
    // A summary that does not name its address gets it in front.
    auto at = summary.find(where);
    if (at == std::string::npos) {
        summary = where + ": " + summary;
        at = 0;
    }
    std::string pattern = summary.substr(0, at) + SummaryItem::address_mark + summary.substr(at + where.size());
    // Every occurrence of the address stands for it (connect errors name it again).
    for (auto again = pattern.find(where); again != std::string::npos; again = pattern.find(where))
        pattern.replace(again, where.size(), std::string(1, SummaryItem::address_mark));
    for (auto& item : items) {
        if (item.state == state && item.pattern == pattern) {
            item.where.push_back(where);
            return;
        }
    }
    items.push_back(SummaryItem{state, std::move(pattern), {where}});
}

}  // namespace

Expected<AddressPlan, Failure> plan_addresses(const plugin::ConnectionOptions& options, const net::Deadline& deadline) {
    auto endpoints = resolve_target(options, deadline);
    if (!endpoints) return unexpected(std::move(endpoints.error()));
    AddressPlan plan;
    plan.name = options.hostname;
    plan.resolved = endpoints->size();
    plan.max_addresses = options.max_addresses;
    plan.endpoints = net::interleave_families(std::move(*endpoints));
    plan.each = !options.address && options.addresses == plugin::AddressMode::every && plan.endpoints.size() > 1;
    if (plan.each && plan.endpoints.size() > options.max_addresses) {
        for (std::size_t i = options.max_addresses; i < plan.endpoints.size(); ++i)
            plan.not_checked.push_back(plan.endpoints[i].text);
        plan.endpoints.resize(options.max_addresses);
    }
    return plan;
}

std::vector<plugin::Report> check_addresses(const AddressPlan& plan, const plugin::ConnectionOptions& options,
                                            const AddressCheck& check) {
    std::vector<plugin::Report> reports;
    if (!plan.each) {
        reports.push_back(check(0, AddressTarget{plan.endpoints, target_from(options).display()}));
        return reports;
    }
    const std::size_t count = plan.endpoints.size();
    std::vector<std::optional<plugin::Report>> checked(count);
    run_in_parallel(count, count, [&](std::size_t i) {
        const auto& endpoint = plan.endpoints[i];
        checked[i] = check(i, AddressTarget{std::span(&endpoint, 1), endpoint.text});
    });
    reports.reserve(count);
    for (auto& report : checked) reports.push_back(std::move(*report));
    return reports;
}

plugin::Report combine_addresses(const std::string& prefix, const AddressPlan& plan, std::vector<plugin::Report> reports,
                                 const std::vector<plugin::Finding>& across, int verbosity) {
    std::size_t failing = 0;
    std::size_t deciding = 0;
    for (std::size_t i = 0; i < reports.size(); ++i) {
        const State state = reports[i].state();
        if (state != State::ok) ++failing;
        if (plugin::severity(state) > plugin::severity(reports[deciding].state())) deciding = i;
    }
    if (reports.size() == 1 && across.empty()) {
        plugin::Report single = std::move(reports.front());
        single.add_perfdata(plugin::count_perfdata("addresses", 1));
        single.add_perfdata(plugin::count_perfdata("addresses_failing", failing));
        return single;
    }

    plugin::Report combined(prefix);
    // The long output: a line per address, then what is said of them together.
    for (const auto& report : reports) combined.add(report.state(), report.summary());
    for (const auto& finding : across) combined.add(finding.state, finding.text);

    // Line 1: the problems, most severe first, addresses that fail alike in one item.
    std::vector<SummaryItem> items;
    for (std::size_t i = 0; i < reports.size(); ++i) {
        if (reports[i].state() != State::ok) add_alike(items, reports[i].state(), reports[i].summary(), plan.endpoints[i].text);
    }
    for (const auto& finding : across) {
        if (finding.state != State::ok) items.push_back(SummaryItem{finding.state, finding.text, {}});
    }
    std::stable_sort(items.begin(), items.end(), [](const SummaryItem& a, const SummaryItem& b) {
        return plugin::severity(a.state) > plugin::severity(b.state);
    });
    std::string summary;
    for (const auto& item : items) summary += (summary.empty() ? "" : "; ") + item.text();
    const std::size_t ok = reports.size() - failing;
    std::string tail;
    if (items.empty()) {
        summary = reports.front().summary();  // every address OK: the first speaks for them
        if (ok > 1) tail = plugin::count_text(ok - 1, "other address", "other addresses") + " of " + plan.name + " OK";
    } else if (ok > 0) {
        tail = plugin::count_text(ok, failing > 0 ? "other address" : "address", failing > 0 ? "other addresses" : "addresses") +
               " of " + plan.name + " OK";
    }
    if (!plan.not_checked.empty()) {
        const std::string why = " not checked (--max-addresses " + std::to_string(plan.max_addresses) + ")";
        tail += (tail.empty() ? "" : "; ") + plugin::count_text(plan.not_checked.size(), "address", "addresses") + why;
        std::string list;
        for (const auto& where : plan.not_checked) list += (list.empty() ? "" : ", ") + where;
        combined.add_detail(list + why);
    }
    combined.set_summary(std::move(summary));
    combined.set_summary_tail(std::move(tail));

    for (std::size_t i = 0; i < reports.size(); ++i) {
        const auto& report = reports[i];
        if (verbosity == 0 && report.state() == State::ok) continue;
        const std::string& where = plan.endpoints[i].text;
        // Its problems are in its line already; what was found OK is not.
        for (const auto& finding : report.findings()) {
            if (finding.state == State::ok) combined.add_detail(where + ": [OK] " + finding.text);
        }
        for (const auto& detail : report.details()) combined.add_detail(where + ": " + detail);
    }
    for (const auto& item : reports[deciding].perfdata()) combined.add_perfdata(item);
    combined.add_perfdata(plugin::count_perfdata("addresses", reports.size()));
    combined.add_perfdata(plugin::count_perfdata("addresses_failing", failing));
    return combined;
}

plugin::Report check_every_address(const std::string& prefix, const std::string& context,
                                   const plugin::ConnectionOptions& options, const net::Deadline& deadline,
                                   const AddressCheck& check, const AcrossAddresses& across) {
    auto plan = plan_addresses(options, deadline);
    if (!plan) {
        plugin::Report report(prefix);
        report.set_context(context);
        report.add(plan.error().state, plan.error().message);
        return report;
    }
    auto reports = check_addresses(*plan, options, check);
    const auto findings = plan->each && across ? across(*plan) : std::vector<plugin::Finding>{};
    return combine_addresses(prefix, *plan, std::move(reports), findings, options.verbosity);
}

}  // namespace tls_checks::runner
