#pragma once
// The result of one plugin run: findings with states (worst wins), informational lines and
// perfdata, rendered once into the monitoring plugin format.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "plugin/perfdata.hpp"
#include "plugin/run.hpp"
#include "plugin/status.hpp"

namespace tls_checks::plugin {

struct Finding {
    State state = State::ok;
    std::string text;
};

class Report {
public:
    explicit Report(std::string prefix) : prefix_(std::move(prefix)) {}

    // A judged fact; its state takes part in the overall state.
    void add(State state, std::string text);
    // A line of long output that judges nothing (a chain element, the negotiated cipher).
    void add_detail(std::string text);
    // Lines of long output put before every detail added so far: what a whole run found about
    // its target, ahead of the details of each address (the 4 KiB limit cuts from the end).
    void add_details_first(const std::vector<std::string>& lines);
    void add_perfdata(Perfdata item);

    // Put before the summary ("127.0.0.1:443"), joined to it by `separator`.
    void set_context(std::string context, std::string separator = " ") {
        context_ = std::move(context);
        context_separator_ = std::move(separator);
    }
    // What the summary says when every finding is OK.
    void set_ok_summary(std::string text) { ok_summary_ = std::move(text); }
    // Line 1 says this instead of the problems or the OK summary; the findings still decide the
    // state and make the long output (several addresses: one summary for those alike).
    void set_summary(std::string text) { summary_override_ = std::move(text); }
    // Put after the summary, joined to it by "; ", whatever the state ("2 other addresses OK").
    void set_summary_tail(std::string text) { summary_tail_ = std::move(text); }

    [[nodiscard]] State state() const noexcept;
    [[nodiscard]] const std::vector<Finding>& findings() const noexcept { return findings_; }
    [[nodiscard]] const std::vector<std::string>& details() const noexcept { return details_; }
    [[nodiscard]] const std::vector<Perfdata>& perfdata() const noexcept { return perfdata_; }

    // What line 1 says after "PREFIX STATE - ", before sanitizing: the context, then the
    // problems most severe first (or the OK summary), then the tail.
    [[nodiscard]] std::string summary() const;

    // Line 1: "PREFIX STATE - summary | perfdata"; then, with verbosity > 0 or when not OK, one
    // line per finding and detail. All text is sanitized; the whole output stays under 4 KiB.
    [[nodiscard]] std::string render(int verbosity) const;

private:
    [[nodiscard]] std::string problem_summary() const;

    std::string prefix_;
    std::string context_;
    std::string context_separator_ = " ";
    std::string ok_summary_;
    std::string summary_tail_;
    std::optional<std::string> summary_override_;
    std::vector<Finding> findings_;
    std::vector<std::string> details_;
    std::vector<Perfdata> perfdata_;
};

// The end of every check: adds the run's "time" perfdata (seconds since `started`) and renders.
PluginOutput finish_report(Report& report, std::chrono::steady_clock::time_point started, int verbosity);

// Maximum size of everything a plugin prints, perfdata included (Nagios 4 reads 8 KiB; NRPE less).
inline constexpr std::size_t max_output_bytes = 4000;
// The share of the first line that perfdata may take: the summary (at most 400 bytes) and the
// first reasons in the long output always keep their room.
inline constexpr std::size_t max_perfdata_bytes = 1500;

}  // namespace tls_checks::plugin
