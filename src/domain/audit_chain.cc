#include "domain/audit_chain.h"

#include "core/crypto.h"

namespace linli::domain {
namespace {
// Length-prefixed fields so no two different entries serialise to the same bytes.
void Put(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
  out += ';';
}
}  // namespace

std::string ComputeAuditHash(const AuditEntry& e) {
  std::string s;
  s.reserve(256 + e.detail.size());
  Put(s, std::to_string(e.seq));
  Put(s, std::to_string(e.at));
  Put(s, std::to_string(e.actor_id));
  Put(s, e.actor_name);
  Put(s, e.action);
  Put(s, e.outcome);
  Put(s, e.node_path);
  Put(s, e.target);
  Put(s, e.detail);
  Put(s, e.ip);
  Put(s, e.prev_hash);
  return crypto::HashHex(s);
}

std::optional<ChainBreak> VerifyAuditRun(const std::vector<AuditEntry>& run,
                                         std::string& expected_prev, std::int64_t& expected_seq) {
  for (const auto& e : run) {
    if (e.seq != expected_seq) {
      return ChainBreak{expected_seq, "entry " + std::to_string(expected_seq) +
                                          " is missing (found " + std::to_string(e.seq) + ")"};
    }
    if (e.prev_hash != expected_prev) {
      return ChainBreak{e.seq, "entry " + std::to_string(e.seq) +
                                   " does not point to the previous entry's hash"};
    }
    if (ComputeAuditHash(e) != e.hash) {
      return ChainBreak{e.seq, "entry " + std::to_string(e.seq) + " was altered after it was written"};
    }
    expected_prev = e.hash;
    ++expected_seq;
  }
  return std::nullopt;
}

}  // namespace linli::domain
