// The result tree: worst state wins, one status line with all perfdata, long output when it
// matters, and no way for finding text to forge a second status line or perfdata.

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>

#include "plugin/report.hpp"

using namespace tls_checks::plugin;

namespace {

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace

BOOST_AUTO_TEST_CASE(worst_state_wins_with_critical_above_unknown_above_warning) {
    Report report("T");
    BOOST_TEST(static_cast<int>(report.state()) == static_cast<int>(State::ok));
    report.add(State::warning, "w");
    BOOST_TEST(static_cast<int>(report.state()) == static_cast<int>(State::warning));
    report.add(State::unknown, "u");
    BOOST_TEST(static_cast<int>(report.state()) == static_cast<int>(State::unknown));
    report.add(State::critical, "c");
    report.add(State::ok, "o");
    BOOST_TEST(static_cast<int>(report.state()) == static_cast<int>(State::critical));
}

BOOST_AUTO_TEST_CASE(ok_report_prints_ok_summary_and_perfdata_on_one_line_only) {
    Report report("TLS_CERT");
    report.set_context("host:443");
    report.set_ok_summary("CN=host expires in 40 days");
    report.add(State::ok, "fine");
    report.add_detail("detail");
    Perfdata item;
    item.label = "days_left";
    item.value = 40;
    report.add_perfdata(item);
    item.label = "time";
    item.value = 0.5;
    report.add_perfdata(item);
    BOOST_TEST(report.render(0) == "TLS_CERT OK - host:443 CN=host expires in 40 days | days_left=40 time=0.5\n");
    const auto verbose = report.render(1);
    BOOST_TEST(verbose.find("\n[OK] fine\ndetail\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(problem_summary_lists_most_severe_first_and_long_output_follows) {
    Report report("TLS_CERT");
    report.set_context("h:1");
    report.set_ok_summary("unused");
    report.add(State::warning, "weak key");
    report.add(State::critical, "expired");
    const auto text = report.render(0);
    BOOST_TEST(first_line(text) == "TLS_CERT CRITICAL - h:1 expired; weak key");
    BOOST_TEST(text.find("[WARNING] weak key") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(hostile_text_cannot_forge_perfdata_or_status_lines) {
    Report report("TLS_CERT");
    report.add(State::critical, "CN=evil|x=1\nTLS_CERT OK - fake");
    report.add_detail("detail|y=2\rz");
    Perfdata item;
    item.label = "days_left";
    item.value = 1;
    report.add_perfdata(item);
    const auto text = report.render(2);
    const auto line = first_line(text);
    BOOST_TEST(std::count(line.begin(), line.end(), '|') == 1);
    BOOST_TEST(line.substr(line.find('|')) == "| days_left=1");
    BOOST_TEST(text.find("\nTLS_CERT OK") == std::string::npos);
    BOOST_TEST(std::count(text.begin(), text.end(), '|') == 1);
}

BOOST_AUTO_TEST_CASE(output_stays_under_four_kilobytes) {
    Report report("T");
    for (int i = 0; i < 200; ++i) report.add(State::critical, std::string(300, 'x'));
    const auto text = report.render(3);
    BOOST_TEST(text.size() < 4096U);
    BOOST_TEST(text.find("(long output cut)") != std::string::npos);
}
