// One report for every address of a name: the worst state wins, the summary names the addresses
// that decided it (alike ones together), how many others are OK and how many were not checked;
// the perfdata are the deciding address's plus addresses and addresses_failing.

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <stdexcept>
#include <thread>

#include "base/parallel.hpp"
#include "runner/addresses.hpp"

using namespace tls_checks;
using plugin::State;

namespace {

runner::AddressPlan plan_of(std::vector<std::string> texts, std::vector<std::string> not_checked = {}) {
    runner::AddressPlan plan;
    plan.name = "www.example.test";
    plan.each = texts.size() > 1;
    plan.max_addresses = texts.size();
    for (auto& text : texts) {
        net::Endpoint endpoint;
        endpoint.text = std::move(text);
        plan.endpoints.push_back(std::move(endpoint));
    }
    plan.resolved = plan.endpoints.size() + not_checked.size();
    plan.not_checked = std::move(not_checked);
    return plan;
}

plugin::Report address_report(const std::string& where, State state, const std::string& finding, double days) {
    plugin::Report report("TLS_CERT");
    report.set_context(where);
    // As the plugins do: a problem is a finding, what is fine the OK summary.
    if (state == State::ok) report.set_ok_summary(finding);
    else report.add(state, finding);
    report.add_detail("negotiated TLSv1.3");
    plugin::Perfdata item;
    item.label = "days_left";
    item.value = days;
    report.add_perfdata(item);
    return report;
}

std::string first_line(const plugin::Report& report) {
    const auto text = report.render(0);
    return text.substr(0, text.find('\n'));
}

}  // namespace

BOOST_AUTO_TEST_CASE(one_address_is_reported_as_before_with_the_address_counts) {
    const auto plan = plan_of({"192.0.2.1:443"});
    std::vector<plugin::Report> reports;
    reports.push_back(address_report("www.example.test:443", State::ok, "valid", 80));
    const auto report = runner::combine_addresses("TLS_CERT", plan, std::move(reports), {}, 0);
    BOOST_TEST(first_line(report) ==
               "TLS_CERT OK - www.example.test:443 valid | days_left=80 addresses=1;;;0 addresses_failing=0;;;0");
}

BOOST_AUTO_TEST_CASE(the_failing_address_decides_and_the_others_are_counted) {
    const auto plan = plan_of({"[2001:db8::5]:443", "192.0.2.1:443", "192.0.2.2:443", "192.0.2.3:443"});
    const auto reports = [] {
        std::vector<plugin::Report> made;
        made.push_back(address_report("[2001:db8::5]:443", State::critical, "certificate expired 2 days ago", -2));
        for (const char* where : {"192.0.2.1:443", "192.0.2.2:443", "192.0.2.3:443"})
            made.push_back(address_report(where, State::ok, "valid", 80));
        return made;
    };
    const auto report = runner::combine_addresses("TLS_CERT", plan, reports(), {}, 0);
    BOOST_TEST((report.state() == State::critical));
    BOOST_TEST(first_line(report) ==
               "TLS_CERT CRITICAL - [2001:db8::5]:443 certificate expired 2 days ago; 3 other addresses of "
               "www.example.test OK | days_left=-2 addresses=4;;;0 addresses_failing=1;;;0");
    const auto text = report.render(0);
    // A line per address; the details of the failing one only.
    BOOST_TEST(text.find("\n[OK] 192.0.2.3:443 valid\n") != std::string::npos);
    BOOST_TEST(text.find("[2001:db8::5]:443: negotiated TLSv1.3") != std::string::npos);
    BOOST_TEST(text.find("192.0.2.1:443: negotiated") == std::string::npos);
    const auto verbose = runner::combine_addresses("TLS_CERT", plan, reports(), {}, 1);
    BOOST_TEST(verbose.render(1).find("192.0.2.1:443: negotiated TLSv1.3") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(addresses_failing_alike_are_named_together_with_the_worst_first) {
    const auto plan = plan_of({"192.0.2.1:443", "192.0.2.2:443", "192.0.2.3:443", "192.0.2.4:443"});
    std::vector<plugin::Report> reports;
    reports.push_back(address_report("192.0.2.1:443", State::warning, "key too short", 30));
    reports.push_back(address_report("192.0.2.2:443", State::critical, "connect to 192.0.2.2:443 timed out", 0));
    reports.push_back(address_report("192.0.2.3:443", State::critical, "connect to 192.0.2.3:443 timed out", 0));
    reports.push_back(address_report("192.0.2.4:443", State::ok, "valid", 80));
    const auto report = runner::combine_addresses("TLS_CERT", plan, std::move(reports), {}, 0);
    BOOST_TEST(report.summary() ==
               "192.0.2.2:443 and 192.0.2.3:443 connect to each timed out; 192.0.2.1:443 key too short; 1 other "
               "address of www.example.test OK");
    BOOST_TEST(report.render(0).find("addresses_failing=3") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(all_ok_speaks_with_the_first_address_and_counts_the_rest) {
    const auto plan = plan_of({"192.0.2.1:443", "192.0.2.2:443"}, {"192.0.2.3:443", "192.0.2.4:443", "192.0.2.5:443"});
    std::vector<plugin::Report> reports;
    reports.push_back(address_report("192.0.2.1:443", State::ok, "valid", 80));
    reports.push_back(address_report("192.0.2.2:443", State::ok, "valid", 81));
    const auto report = runner::combine_addresses("TLS_CERT", plan, std::move(reports), {}, 0);
    BOOST_TEST(report.summary() ==
               "192.0.2.1:443 valid; 1 other address of www.example.test OK; 3 addresses not checked "
               "(--max-addresses 2)");
    BOOST_TEST(report.render(1).find("\n192.0.2.3:443, 192.0.2.4:443, 192.0.2.5:443 not checked (--max-addresses 2)\n") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_finding_across_addresses_decides_when_each_is_ok) {
    const auto plan = plan_of({"192.0.2.1:443", "192.0.2.2:443"});
    std::vector<plugin::Report> reports;
    reports.push_back(address_report("192.0.2.1:443", State::ok, "valid", 80));
    reports.push_back(address_report("192.0.2.2:443", State::ok, "valid", 20));
    const std::vector<plugin::Finding> across{{State::warning, "addresses of www.example.test disagree: ..."}};
    const auto report = runner::combine_addresses("TLS_CERT", plan, std::move(reports), across, 0);
    BOOST_TEST((report.state() == State::warning));
    BOOST_TEST(report.summary() == "addresses of www.example.test disagree: ...; 2 addresses of www.example.test OK");
    BOOST_TEST(report.render(0).find("addresses_failing=0") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(parallel_tasks_all_run_and_the_first_exception_comes_back_after_the_join) {
    std::atomic<int> ran{0};
    run_in_parallel(16, 4, [&](std::size_t) { ++ran; });
    BOOST_TEST(ran.load() == 16);
    BOOST_CHECK_THROW(run_in_parallel(8, 4,
                                      [](std::size_t i) {
                                          if (i == 3) throw std::runtime_error("task 3");
                                      }),
                      std::runtime_error);
}

BOOST_AUTO_TEST_CASE(one_worker_runs_every_task_on_the_calling_thread) {
    const auto caller = std::this_thread::get_id();
    bool elsewhere = false;
    run_in_parallel(5, 1, [&](std::size_t) { elsewhere = elsewhere || std::this_thread::get_id() != caller; });
    BOOST_TEST(!elsewhere);
}
