#pragma once
// One deadline per run, made from -t and handed to every blocking call: no alarm(), no signals,
// no wait past it (common/README.md, Rules: one deadline per run).

#include <chrono>

namespace tls_checks::net {

class Deadline {
public:
    using Clock = std::chrono::steady_clock;

    explicit Deadline(Clock::time_point end) noexcept : end_(end) {}
    static Deadline after(std::chrono::duration<double> budget) noexcept {
        return Deadline(Clock::now() + std::chrono::duration_cast<Clock::duration>(budget));
    }

    [[nodiscard]] Clock::time_point end() const noexcept { return end_; }
    [[nodiscard]] bool expired() const noexcept { return Clock::now() >= end_; }

    // Milliseconds left, rounded up so that a poll() never returns early with time still left;
    // 0 once expired.
    [[nodiscard]] int poll_timeout_ms() const noexcept {
        const auto left = end_ - Clock::now();
        if (left <= Clock::duration::zero()) return 0;
        const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
        return ms > 2'000'000'000 ? 2'000'000'000 : static_cast<int>(ms);
    }

private:
    Clock::time_point end_;
};

}  // namespace tls_checks::net
