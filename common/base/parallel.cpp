#include "base/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace tls_checks {

void run_in_parallel(std::size_t count, std::size_t max_workers, const std::function<void(std::size_t)>& task) {
    if (count == 0) return;
    std::atomic<std::size_t> next{0};
    std::mutex failure_mutex;
    std::exception_ptr failure;
    const auto worker = [&] {
        try {
            for (std::size_t i = next++; i < count; i = next++) task(i);
        } catch (...) {
            const std::lock_guard lock(failure_mutex);
            if (!failure) failure = std::current_exception();
            next = count;
        }
    };
    std::vector<std::thread> threads;
    const std::size_t workers = std::clamp<std::size_t>(max_workers, 1, count);
    threads.reserve(workers - 1);
    for (std::size_t w = 1; w < workers; ++w) {
        try {
            threads.emplace_back(worker);
        } catch (const std::system_error&) {
            break;  // EAGAIN at the process limit: the threads that did start share the work
        }
    }
    worker();
    for (auto& thread : threads) thread.join();
    if (failure) std::rethrow_exception(failure);
}

}  // namespace tls_checks
