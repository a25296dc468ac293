// Writing and reading the audit log. Every write in Linli records itself here inside its own
// transaction, so a change and its audit entry commit together or not at all.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "domain/audit_chain.h"
#include "service/caller.h"
#include "storage/audit_repo.h"
#include "storage/database.h"

namespace linli::service {

struct AuditEvent {
  std::string action;         // "org.create", "auth.login" ...
  std::string outcome = "ok"; // "ok", "denied", "failed"
  std::string node_path;      // "" when the event concerns no node
  std::string target;         // "org_node:42"
  std::string detail = "{}";  // JSON; never personal data in the clear
};

struct AuditFilter {
  std::optional<std::int64_t> actor_id;
  std::optional<std::string> action;
  std::optional<std::int64_t> node_id;
  std::optional<Millis> from, to;
  std::int64_t before_seq = 0;
  int limit = 100;
};

struct AuditVerification {
  bool intact = true;
  std::int64_t entries = 0;
  std::int64_t first_broken_seq = 0;
  std::string reason;
};

class AuditService {
 public:
  AuditService(storage::Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  // Appends inside the caller's write transaction.
  Status Record(storage::SqlSession& s, const Caller& who, AuditEvent event);
  // Appends in a transaction of its own: reads of personal data, refused attempts.
  void RecordAlone(const Caller& who, AuditEvent event);

  // Needs audit.read. Entries whose node lies outside the caller's scope are not returned;
  // entries tied to no node are returned only to holders of audit.read at a root.
  Result<std::vector<domain::AuditEntry>> Query(const Caller& who, const AuditFilter& f);
  // Walks the whole chain. The CLI calls it as the operator; over HTTP it needs audit.read at a root.
  Result<AuditVerification> Verify(const Caller& who);

 private:
  storage::Database& db_;
  const Clock& clock_;
};

}  // namespace linli::service
