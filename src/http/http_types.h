// HTTP as the handlers see it: plain structs, no Beast or Asio, so the many handler files compile
// fast. server.cc converts to and from Beast's types.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace linli::http {

struct HttpRequest {
  std::string method;   // "GET", "POST" ...
  std::string target;   // as sent: path and query
  std::string path;     // percent-decoded path
  std::map<std::string, std::string> query;        // decoded; last value wins
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote_ip;
  std::string request_id;
  std::map<std::string, std::string> path_params;  // filled by the router
  std::string route;    // the matched pattern, for metrics and logs

  std::optional<std::string_view> Header(std::string_view lower_name) const;
  std::optional<std::string> Cookie(std::string_view name) const;
};

// A server-sent event stream (text/event-stream). A handler answers with a response carrying
// one and keeps a reference; whatever it pushes, from any thread, the server writes to the client
// until the client goes away or the server stops. Events pushed under the same key before the
// server writes them replace one another, so a burst of changes costs the client one event.
class EventStream {
 public:
  // `text` is a whole event ("event: cases\ndata: {...}\n\n"). False once the stream closed.
  bool Push(const std::string& key, std::string text);
  bool closed() const;
  // Runs when the stream closes (client gone, server stopping): the handler's unsubscribe.
  void OnClose(std::function<void()> fn);

  // --- the server's side ---
  void SetWaker(std::function<void()> wake);  // called (from any thread) when there is something to write
  std::vector<std::string> Take();           // the pending events, oldest first
  void Close();                              // idempotent; runs OnClose's function once

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, std::string>> pending_;  // (key, text), in order of first push
  std::function<void()> wake_;
  std::function<void()> on_close_;
  bool closed_ = false;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  std::shared_ptr<EventStream> stream;  // set: the body is this event stream (status 200)

  HttpResponse& With(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

// A handler answers exactly once through Respond, from any thread.
using Respond = std::function<void(HttpResponse)>;
using Handler = std::function<void(HttpRequest& req, Respond respond)>;

}  // namespace linli::http
