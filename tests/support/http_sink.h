// A real HTTP/1.1 server on a loopback port that records what is POSTed to it: the far end of a
// webhook in tests. It answers every request with `status` (settable at any time) and closes.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <condition_variable>
#include <string>
#include <thread>
#include <vector>

namespace linli::testing {

struct ReceivedRequest {
  std::string method, target;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
};

class HttpSink {
 public:
  HttpSink();
  ~HttpSink();
  int port() const { return port_; }
  std::string Url(const std::string& path = "/hook") const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  void set_status(int status) { status_ = status; }
  // Waits until at least n requests arrived (or the timeout passed); returns all so far.
  std::vector<ReceivedRequest> WaitFor(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  void Serve();
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<int> status_{200};
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ReceivedRequest> received_;  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace linli::testing
