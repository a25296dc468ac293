// Tells live screens that something under a node changed, after the change is durable: the
// cockpit and a grid worker's task list refresh when a case in their subtree moves, instead of
// polling. Publishers call Publish from an after-commit hook (SqlSession::AfterCommit); listeners
// are the open server-sent event streams (http/api_live.cc).
//
// A listener watches one subtree (a node's path) and hears the path of every changed node inside
// it. Matching is a prefix test per listener: cheap for the hundreds of screens a subdistrict has
// open; a city of screens would index listeners by path.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace linli::service {

class ChangeFeed {
 public:
  // Called on the publisher's thread (the database writer): keep it short and never block.
  using Listener = std::function<void(std::string_view topic, std::string_view node_path)>;

  // Returns a handle for Unsubscribe.
  std::uint64_t Subscribe(std::string subtree_path, Listener listener);
  void Unsubscribe(std::uint64_t handle);
  // `topic` names what changed ("cases"); `node_path` is where.
  void Publish(std::string_view topic, std::string_view node_path);
  std::size_t Listeners() const;

 private:
  struct Entry {
    std::string subtree_path;
    Listener listener;
  };
  mutable std::mutex mu_;
  std::uint64_t next_ = 1;
  std::map<std::uint64_t, Entry> listeners_;
};

}  // namespace linli::service
