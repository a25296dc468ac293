// Who is asking, from where. Every service call takes a Caller; the authorisation decision is
// always domain::Allows / domain::ScopeFor on caller.principal.
#pragma once

#include <functional>
#include <future>
#include <string>

#include "core/result.h"
#include "domain/access.h"

namespace linli::service {

struct Caller {
  domain::Principal principal;
  std::int64_t session_id = 0;   // 0 for API keys and the CLI
  bool must_change_password = false;
  std::string ip;
  std::string user_agent;
  std::string request_id;

  // The operator at the machine running `linli` subcommands. Never reachable over HTTP.
  static Caller Cli();
  bool is_system() const { return principal.system; }
  std::int64_t user_id() const { return principal.user_id; }
};

// Completion of an asynchronous (write) service call; runs on the writer thread.
template <class T>
using Done = std::function<void(Result<T>)>;

// Runs an asynchronous service call and waits for its result; for the CLI and tests, never for
// an HTTP thread.
template <class T, class Start>
Result<T> Await(Start start) {
  std::promise<Result<T>> promise;
  auto future = promise.get_future();
  start(Done<T>([&promise](Result<T> r) { promise.set_value(std::move(r)); }));
  return future.get();
}

}  // namespace linli::service
