// The audit chain in storage. Append must run inside a write transaction: it locks the chain
// head, links the new entry to it and moves the head, all in that transaction.
#pragma once

#include <optional>
#include <vector>

#include "domain/audit_chain.h"
#include "storage/sql.h"

namespace linli::storage {

struct AuditQuery {
  std::vector<std::string> scope_prefixes;  // entries whose node lies under these, plus ...
  bool include_unplaced = false;            // ... entries tied to no node (logins, policies)
  std::optional<std::int64_t> actor_id;
  std::optional<std::string> action;        // exact, or a prefix ending in '.' ("auth.")
  std::optional<Millis> from, to;           // [from, to)
  std::int64_t before_seq = 0;              // keyset cursor, newest first; 0: from the newest
  int limit = 100;
};

class AuditRepo {
 public:
  // Fills in seq, prev_hash and hash. The head row is locked by the first append of the
  // transaction and written by FlushHead, which whoever commits must call first.
  static Status Append(SqlSession& s, domain::AuditEntry& e);
  static Status FlushHead(SqlSession& s);
  static Result<std::vector<domain::AuditEntry>> Query(SqlSession& s, const AuditQuery& q);
  // Entries with seq > after_seq in order, at most `limit`.
  static Result<std::vector<domain::AuditEntry>> Run(SqlSession& s, std::int64_t after_seq, int limit);
  static Result<std::pair<std::int64_t, std::string>> Head(SqlSession& s);
};

}  // namespace linli::storage
