// The audit log is a hash chain: each entry's hash commits to its fields and to the previous
// entry's hash, so changing, removing or reordering any entry breaks every link after it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"

namespace linli::domain {

struct AuditEntry {
  std::int64_t seq = 0;      // 1, 2, 3 ... without gaps
  Millis at = 0;
  std::int64_t actor_id = 0;  // 0: anonymous or the system
  std::string actor_name;
  std::string action;        // "auth.login", "org.create", "resident.unmask" ...
  std::string outcome;       // "ok", "denied", "failed"
  std::string node_path;     // where the affected record lies; "" when nowhere
  std::string target;        // "org_node:42", "user:7" ...
  std::string detail;        // JSON, never personal data in the clear
  std::string ip;
  std::string prev_hash;
  std::string hash;
};

inline const std::string kAuditGenesisHash(64, '0');

std::string ComputeAuditHash(const AuditEntry& e);  // over every field but `hash`

struct ChainBreak {
  std::int64_t seq;
  std::string reason;
};
// Checks a run of consecutive entries. `expected_prev` is the hash the first must point to and
// `expected_seq` its sequence number. Returns the first broken link.
std::optional<ChainBreak> VerifyAuditRun(const std::vector<AuditEntry>& run,
                                         std::string& expected_prev, std::int64_t& expected_seq);

}  // namespace linli::domain
