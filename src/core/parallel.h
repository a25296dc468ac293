// Runs a loop over [0, n) on every core: the range is cut into one slice per thread, the caller's
// thread takes the first. For CPU-bound work on independent items (validating and sealing the rows
// of a roster); `fn(begin, end)` must not touch shared state without its own care.
#pragma once

#include <algorithm>
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
  std::size_t slice = (n + threads - 1) / threads;
  std::vector<std::thread> helpers;
  std::vector<std::exception_ptr> errors(threads);
  for (std::size_t t = 1; t < threads; ++t) {
    std::size_t begin = t * slice, end = std::min(n, begin + slice);
    helpers.emplace_back([&, t, begin, end] {
      try {
        if (begin < end) fn(begin, end);
      } catch (...) {
        errors[t] = std::current_exception();
      }
    });
  }
  try {
    fn(0, std::min(n, slice));
  } catch (...) {
    errors[0] = std::current_exception();
  }
  for (auto& h : helpers) h.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace linli
