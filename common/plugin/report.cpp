#include "plugin/report.hpp"

#include <algorithm>

#include "plugin/sanitize.hpp"

namespace tls_checks::plugin {

void Report::add(State state, std::string text) { findings_.push_back(Finding{state, std::move(text)}); }

void Report::add_details_first(const std::vector<std::string>& lines) {
    details_.insert(details_.begin(), lines.begin(), lines.end());
}

void Report::add_detail(std::string text) { details_.push_back(std::move(text)); }

void Report::add_perfdata(Perfdata item) { perfdata_.push_back(std::move(item)); }

State Report::state() const noexcept {
    State overall = State::ok;
    for (const auto& finding : findings_) overall = worst(overall, finding.state);
    return overall;
}

std::string Report::summary() const {
    std::string summary = summary_override_ ? *summary_override_ : problem_summary();
    if (!context_.empty()) summary = summary.empty() ? context_ : context_ + context_separator_ + summary;
    if (!summary_tail_.empty()) summary += (summary.empty() ? "" : "; ") + summary_tail_;
    return summary;
}

std::string Report::problem_summary() const {
    // The problems, most severe first; the OK text when there are none.
    std::vector<const Finding*> problems;
    for (const auto& finding : findings_) {
        if (finding.state != State::ok) problems.push_back(&finding);
    }
    std::stable_sort(problems.begin(), problems.end(),
                     [](const Finding* a, const Finding* b) { return severity(a->state) > severity(b->state); });
    std::string summary;
    for (const Finding* problem : problems) {
        if (!summary.empty()) summary += "; ";
        summary += problem->text;
    }
    if (summary.empty()) summary = ok_summary_;
    return summary;
}

std::string Report::render(int verbosity) const {
    const State overall = state();
    std::string out = prefix_ + " " + std::string(state_name(overall)) + " - " + sanitize_text(summary(), 400);
    // Perfdata is bounded in number by design (per path element, never per certificate sent);
    // this bound only keeps the promise of max_output_bytes if a plugin ever breaks that. The
    // last item (the run's time) is kept.
    std::string perfdata;
    for (std::size_t i = 0; i < perfdata_.size(); ++i) {
        const std::string item = " " + format_perfdata(perfdata_[i]);
        const bool last = i + 1 == perfdata_.size();
        if (!last && perfdata.size() + item.size() > max_perfdata_bytes - 64) continue;
        perfdata += item;
    }
    if (!perfdata.empty()) out += " |" + perfdata;
    out += "\n";

    if (verbosity > 0 || overall != State::ok) {
        std::vector<std::string> lines;
        for (const auto& finding : findings_)
            lines.push_back("[" + std::string(state_name(finding.state)) + "] " + sanitize_text(finding.text, 400));
        for (const auto& detail : details_) lines.push_back(sanitize_text(detail, 400));
        for (const auto& line : lines) {
            if (out.size() + line.size() + 1 > max_output_bytes - 32) {
                out += "(long output cut)\n";
                break;
            }
            out += line + "\n";
        }
    }
    return out;
}

PluginOutput finish_report(Report& report, std::chrono::steady_clock::time_point started, int verbosity) {
    report.add_perfdata(seconds_perfdata("time", std::chrono::steady_clock::now() - started));
    return PluginOutput{exit_code(report.state()), report.render(verbosity)};
}

}  // namespace tls_checks::plugin
