#include "storage/bulk_load.h"

namespace linli::storage {

namespace {

// "CREATE INDEX name ON …" → "name" (as both engines write their definitions).
std::string IndexName(const std::string& definition) {
  constexpr std::string_view kPrefix = "CREATE INDEX ";
  std::string_view rest = std::string_view(definition).substr(kPrefix.size());
  return std::string(rest.substr(0, rest.find(' ')));
}

}  // namespace

Result<std::vector<std::string>> SecondaryIndexes(SqlSession& s, const std::vector<std::string_view>& tables) {
  std::vector<SqlValue> params;
  std::string in;
  for (auto t : tables) {
    in += (in.empty() ? "" : ", ") + NextMarker(params);
    params.push_back(Text(t));
  }
  // SQLite: the indexes a CREATE INDEX made (keys' and UNIQUE constraints' have no sql).
  // PostgreSQL: a partitioned table's index is defined "ON ONLY" the parent; built again without
  // ONLY, it is built on every partition as well.
  std::string sql = s.dialect() == Dialect::kSqlite
                        ? "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (" + in +
                              ") ORDER BY name"
                        : "SELECT replace(indexdef, ' ON ONLY ', ' ON ') FROM pg_indexes "
                          "WHERE schemaname = current_schema() AND tablename IN (" + in + ") ORDER BY indexname";
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(sql, Params(params.data(), params.size())));
  std::vector<std::string> out;
  for (const auto& r : rows) {
    std::string def = r.Text(0);
    if (def.starts_with("CREATE INDEX ")) out.push_back(std::move(def));  // not CREATE UNIQUE INDEX
  }
  return out;
}

Status DropIndexes(SqlSession& s, const std::vector<std::string>& definitions) {
  for (const auto& d : definitions) LINLI_TRY(s.ExecScript("DROP INDEX " + IndexName(d)));
  return Ok();
}

Status CreateIndexes(SqlSession& s, const std::vector<std::string>& definitions) {
  for (const auto& d : definitions) LINLI_TRY(s.ExecScript(d));
  return Ok();
}

}  // namespace linli::storage
