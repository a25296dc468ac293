// Runs a loop over [0, n) on every core: threads take the range a chunk at a time as each is
// ready for more, the caller's thread among them. For CPU-bound work on independent items
// (validating and sealing the rows of a roster); `fn(begin, end)` is called once per chunk and
// must not touch shared state without its own care. Chunks rather than one equal slice each:
// beside an import's writer, the thread sharing its core finished its slice late and the others
// waited for it.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <thread>
#include <vector>

namespace linli {

inline void ParallelFor(std::size_t n, const std::function<void(std::size_t begin, std::size_t end)>& fn,
                        std::size_t min_per_thread = 2048) {
  std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
  std::size_t threads = std::clamp<std::size_t>(n / std::max<std::size_t>(1, min_per_thread), 1, cores);
  if (threads == 1) {
    if (n > 0) fn(0, n);
    return;
  }
  // Eight chunks a thread, none larger than a thread's minimum.
  const std::size_t chunk = std::clamp<std::size_t>(n / (threads * 8), 1, std::max<std::size_t>(1, min_per_thread));
  std::atomic<std::size_t> next{0};
  std::vector<std::exception_ptr> errors(threads);
  auto work = [&](std::size_t t) {
    try {
      for (std::size_t begin; (begin = next.fetch_add(chunk)) < n;) fn(begin, std::min(n, begin + chunk));
    } catch (...) {
      errors[t] = std::current_exception();
      next = n;  // the others stop at their next chunk
    }
  };
  std::vector<std::thread> helpers;
  for (std::size_t t = 1; t < threads; ++t) helpers.emplace_back(work, t);
  work(0);
  for (auto& h : helpers) h.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace linli
