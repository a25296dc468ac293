#include "storage/unchecked_references.h"

namespace linli::storage {

namespace {

constexpr UncheckedReference kUnchecked[] = {
    {"notifications", "user_id", "users", "id"},        // migration 019
    {"notifications", "case_id", "cases", "id"},        // migration 019
    {"cases", "node_id", "org_nodes", "id"},            // migration 025
    {"cases", "category_code", "case_categories", "code"},
    {"cases", "building_id", "buildings", "id"},
    {"cases", "reporter_id", "users", "id"},
    {"cases", "assignee_id", "users", "id"},
    {"case_events", "case_id", "cases", "id"},
};

}  // namespace

std::span<const UncheckedReference> UncheckedReferences() { return kUnchecked; }

Result<std::vector<Unanchored>> FindUnanchored(SqlSession& s) {
  std::vector<Unanchored> out;
  if (s.dialect() == Dialect::kSqlite) return out;
  for (const auto& r : kUnchecked) {
    // Names from the table above, never from input.
    std::string sql = "SELECT count(*) FROM " + std::string(r.table) + " c WHERE c." + std::string(r.column) +
                      " IS NOT NULL AND NOT EXISTS (SELECT 1 FROM " + std::string(r.parent) + " p WHERE p." +
                      std::string(r.parent_key) + " = c." + std::string(r.column) + ")";
    LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(sql));
    std::int64_t n = rows.empty() ? 0 : rows[0].Int(0);
    if (n > 0) out.push_back({r, n});
  }
  return out;
}

}  // namespace linli::storage
