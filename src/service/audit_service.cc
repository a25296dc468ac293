#include "service/audit_service.h"

#include <spdlog/spdlog.h>

#include "service/records.h"
#include "storage/org_repo.h"

namespace linli::service {

namespace {
domain::AuditEntry MakeEntry(const Caller& who, AuditEvent&& e, Millis now) {
  domain::AuditEntry a;
  a.at = now;
  a.actor_id = who.principal.user_id;
  a.actor_name = who.principal.username;
  a.action = std::move(e.action);
  a.outcome = std::move(e.outcome);
  a.node_path = std::move(e.node_path);
  a.target = std::move(e.target);
  a.detail = std::move(e.detail);
  a.ip = who.ip;
  return a;
}
}  // namespace

Status AuditService::Record(storage::SqlSession& s, const Caller& who, AuditEvent event) {
  auto entry = MakeEntry(who, std::move(event), clock_.NowMillis());
  return storage::AuditRepo::Append(s, entry);
}

void AuditService::RecordAlone(const Caller& who, AuditEvent event) {
  auto entry = std::make_shared<domain::AuditEntry>(MakeEntry(who, std::move(event), clock_.NowMillis()));
  db_.Submit(storage::WriteJob{
      [entry](storage::SqlSession& s) { return storage::AuditRepo::Append(s, *entry); },
      [entry](Status st) {
        if (!st) spdlog::error("audit entry {} could not be written: {}", entry->action, st.error().message);
      }});
}

Result<std::vector<domain::AuditEntry>> AuditService::Query(const Caller& who, const AuditFilter& f) {
  auto scope = domain::ScopeFor(who.principal, domain::perm::kAuditRead);
  if (scope.Empty()) return Error::Denied("reading the audit log needs the audit_admin role");
  LINLI_TRY(CheckPageLimit(f.limit));
  return storage::ReadValue<std::vector<domain::AuditEntry>>(
      db_, [&](storage::SqlSession& s) -> Result<std::vector<domain::AuditEntry>> {
        storage::AuditQuery q;
        q.scope_prefixes = scope.prefixes();
        q.include_unplaced = domain::HoldsAtRoot(who.principal, domain::perm::kAuditRead);
        if (f.node_id) {
          LINLI_ASSIGN_OR_RETURN(auto node, storage::OrgRepo::Get(s, *f.node_id));
          if (!node || !scope.Covers(node->path)) return Error::NotFound("no such org node");
          q.scope_prefixes = {node->path};
          q.include_unplaced = false;
        }
        q.actor_id = f.actor_id;
        q.action = f.action;
        q.from = f.from;
        q.to = f.to;
        q.before_seq = f.before_seq;
        q.limit = f.limit;
        return storage::AuditRepo::Query(s, q);
      });
}

Result<AuditVerification> AuditService::Verify(const Caller& who) {
  if (!domain::HoldsAtRoot(who.principal, domain::perm::kAuditRead)) {
    return Error::Denied("verifying the audit chain needs audit.read at a root node");
  }
  AuditVerification out;
  std::string expected_prev = domain::kAuditGenesisHash;
  std::int64_t expected_seq = 1;
  constexpr int kRun = 10000;
  for (;;) {
    LINLI_ASSIGN_OR_RETURN(auto run, storage::ReadValue<std::vector<domain::AuditEntry>>(
        db_, [&](storage::SqlSession& s) { return storage::AuditRepo::Run(s, expected_seq - 1, kRun); }));
    if (auto broken = domain::VerifyAuditRun(run, expected_prev, expected_seq)) {
      out.intact = false;
      out.first_broken_seq = broken->seq;
      out.reason = broken->reason;
      out.entries = expected_seq - 1;
      return out;
    }
    if (run.size() < static_cast<std::size_t>(kRun)) break;
  }
  out.entries = expected_seq - 1;
  // The head must name the last entry; otherwise entries were cut off the end.
  LINLI_ASSIGN_OR_RETURN(auto head, storage::ReadValue<std::pair<std::int64_t, std::string>>(
      db_, [](storage::SqlSession& s) { return storage::AuditRepo::Head(s); }));
  if (head.first != out.entries || head.second != expected_prev) {
    out.intact = false;
    out.first_broken_seq = out.entries + 1;
    out.reason = "the chain ends at entry " + std::to_string(out.entries) +
                 " but the head records entry " + std::to_string(head.first) +
                 ": entries were removed from the end";
  }
  return out;
}

}  // namespace linli::service
