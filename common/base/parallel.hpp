#pragma once
// Independent tasks on a few threads: the version probes of one address, the addresses of one
// name. A busy poller may be at its process limit, so a thread that cannot start means fewer
// workers, down to the calling thread alone, never std::terminate.

#include <cstddef>
#include <functional>

namespace tls_checks {

// Runs task(0) ... task(count - 1), each once, on at most `max_workers` threads, the calling
// thread among them (one task or one worker: no thread is started at all). An exception may not
// leave a thread (std::terminate, no output): the first one is kept, the tasks not yet begun
// are skipped, and it is rethrown here after every thread has been joined.
void run_in_parallel(std::size_t count, std::size_t max_workers, const std::function<void(std::size_t)>& task);

}  // namespace tls_checks
