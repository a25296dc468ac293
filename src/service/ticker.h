// A background thread that runs one pass of some work every tick until stopped: the deadline
// scheduler and the webhook sender are both one. A pass returns how many things it handled
// (logged when non-zero) or an error (logged as a warning; the next tick tries again).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "core/result.h"

namespace linli::service {

class Ticker {
 public:
  Ticker(std::string name, std::chrono::milliseconds tick, std::function<Result<int>()> pass)
      : name_(std::move(name)), tick_(tick), pass_(std::move(pass)) {}
  ~Ticker() { Stop(); }
  Ticker(const Ticker&) = delete;
  Ticker& operator=(const Ticker&) = delete;

  void Start();
  void Stop();  // idempotent

 private:
  void Loop();

  std::string name_;
  std::chrono::milliseconds tick_;
  std::function<Result<int>()> pass_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace linli::service
