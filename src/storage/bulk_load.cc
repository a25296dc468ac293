#include "storage/bulk_load.h"

#include <algorithm>

namespace linli::storage {

namespace {

constexpr std::string_view kCreateIndex = "CREATE INDEX ";
constexpr std::string_view kCreateUniqueIndex = "CREATE UNIQUE INDEX ";
constexpr std::string_view kAlterTable = "ALTER TABLE ";
constexpr std::string_view kAddConstraint = " ADD CONSTRAINT ";

// The next word of `text` from `at` on (up to a space).
std::string_view WordAt(std::string_view text, std::size_t at) {
  std::string_view rest = text.substr(std::min(at, text.size()));
  return rest.substr(0, rest.find(' '));
}

// "a, b, c" as parameter markers of `params`, which gets the names (of tables or indexes).
std::string MarkerList(const std::vector<std::string_view>& names, std::vector<SqlValue>& params) {
  std::string in;
  for (auto n : names) {
    in += (in.empty() ? "" : ", ") + NextMarker(params);
    params.push_back(Text(n));
  }
  return in;
}

// Whether IndexDefinitions' names are of the indexes' tables or of the indexes themselves.
enum class Named { kTables, kIndexes };

// The definitions of the indexes whose table (Named::kTables) or own name (kIndexes) is among
// `names`, as statements that make them again, in name order. SQLite: those a CREATE INDEX
// made (keys' and UNIQUE constraints' have no sql). PostgreSQL: a partitioned table's index is
// defined "ON ONLY" the parent; built again without ONLY, it is built on every partition as well.
Result<std::vector<std::string>> IndexDefinitions(SqlSession& s, Named named, const std::vector<std::string_view>& names) {
  std::vector<SqlValue> params;
  std::string in = MarkerList(names, params);
  bool by_table = named == Named::kTables;
  std::string sql = s.dialect() == Dialect::kSqlite
                        ? std::string("SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND ") +
                              (by_table ? "tbl_name" : "name") + " IN (" + in + ") ORDER BY name"
                        : std::string("SELECT replace(indexdef, ' ON ONLY ', ' ON ') FROM pg_indexes WHERE schemaname = "
                                      "current_schema() AND ") +
                              (by_table ? "tablename" : "indexname") + " IN (" + in + ") ORDER BY indexname";
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(sql, Params(params.data(), params.size())));
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r.Text(0));
  return out;
}

}  // namespace

Result<std::vector<std::string>> SecondaryIndexes(SqlSession& s, const std::vector<std::string_view>& tables) {
  LINLI_ASSIGN_OR_RETURN(auto all, IndexDefinitions(s, Named::kTables, tables));
  std::erase_if(all, [](const std::string& d) { return !d.starts_with(kCreateIndex); });  // not CREATE UNIQUE INDEX
  return all;
}

Result<std::vector<std::string>> NamedIndexes(SqlSession& s, const std::vector<std::string_view>& names) {
  LINLI_ASSIGN_OR_RETURN(auto out, IndexDefinitions(s, Named::kIndexes, names));
  if (out.size() != names.size()) return Error::Internal("bulk load: some of the indexes named do not exist");
  return out;
}

Result<std::vector<std::string>> UniqueIndexes(SqlSession& s, const std::vector<std::string_view>& names) {
  LINLI_ASSIGN_OR_RETURN(auto out, NamedIndexes(s, names));
  for (const auto& d : out) {
    if (!d.starts_with(kCreateUniqueIndex)) return Error::Internal("bulk load: " + d + " is not a unique index");
  }
  return out;
}

Result<std::vector<std::string>> ForeignKeys(SqlSession& s, const std::vector<std::string_view>& tables) {
  if (s.dialect() == Dialect::kSqlite) return std::vector<std::string>{};
  std::vector<SqlValue> params;
  std::string in = MarkerList(tables, params);
  // conparentid = 0: a partition's copy of its parent's key goes and comes back with the parent's.
  LINLI_ASSIGN_OR_RETURN(
      auto rows, s.Query("SELECT format('ALTER TABLE %I ADD CONSTRAINT %I %s', t.relname, c.conname, "
                         "pg_get_constraintdef(c.oid)) "
                         "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
                         "WHERE c.contype = 'f' AND c.conparentid = 0 AND t.relnamespace = current_schema()::regnamespace "
                         "AND t.relname IN (" + in + ") ORDER BY t.relname, c.conname",
                         Params(params.data(), params.size())));
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r.Text(0));
  return out;
}

Status Suspend(SqlSession& s, const std::vector<std::string>& definitions) {
  for (std::string_view d : definitions) {
    LINLI_TRY(StatusOf(s.Exec("INSERT INTO suspended_for_load (position, definition) "
                              "VALUES ((SELECT coalesce(max(position), 0) + 1 FROM suspended_for_load), $1)",
                              {Text(d)})));
    if (d.starts_with(kCreateIndex) || d.starts_with(kCreateUniqueIndex)) {
      std::size_t name_at = d.starts_with(kCreateIndex) ? kCreateIndex.size() : kCreateUniqueIndex.size();
      LINLI_TRY(s.ExecScript("DROP INDEX " + std::string(WordAt(d, name_at))));
    } else if (auto add = d.find(kAddConstraint); d.starts_with(kAlterTable) && add != std::string_view::npos) {
      LINLI_TRY(s.ExecScript(std::string(d.substr(0, add)) + " DROP CONSTRAINT " +
                             std::string(WordAt(d, add + kAddConstraint.size()))));
    } else {
      return Error::Internal("bulk load: cannot suspend \"" + std::string(d) + "\"");
    }
  }
  return Ok();
}

Result<std::vector<std::string>> SuspendForLoad(SqlSession& s, const std::vector<std::string_view>& tables) {
  LINLI_ASSIGN_OR_RETURN(auto definitions, SecondaryIndexes(s, tables));
  LINLI_ASSIGN_OR_RETURN(auto keys, ForeignKeys(s, tables));
  definitions.insert(definitions.end(), keys.begin(), keys.end());  // after the indexes: see Reinstate
  LINLI_TRY(Suspend(s, definitions));
  return definitions;
}

Status Reinstate(SqlSession& s, const std::vector<std::string>& definitions) {
  BulkWriteScope building(s, BulkWrite::kIndexes);
  for (const auto& d : definitions) {
    LINLI_ASSIGN_OR_RETURN(auto struck, s.Exec("DELETE FROM suspended_for_load WHERE definition = $1", {Text(d)}));
    if (struck == 0) continue;
    LINLI_TRY(s.ExecScript(d));
  }
  return Ok();
}

Result<std::vector<std::string>> StillSuspended(SqlSession& s) {
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query("SELECT definition FROM suspended_for_load ORDER BY position"));
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r.Text(0));
  return out;
}

Status AnalyzeOutgrownTables(SqlSession& s, const std::vector<std::string_view>& tables, std::int64_t rows_written) {
  if (s.dialect() != Dialect::kPostgres || tables.empty()) return Ok();
  std::vector<SqlValue> params;
  std::string in = MarkerList(tables, params);
  std::string rows_marker = NextMarker(params);
  params.push_back(Int(rows_written));
  // reltuples is -1 for a table never vacuumed or analysed, 0 for one recorded as empty.
  LINLI_ASSIGN_OR_RETURN(auto outgrown, s.Query("SELECT relname FROM pg_class WHERE relkind IN ('r', 'p') AND relname IN (" + in +
                                                    ") AND relnamespace = current_schema()::regnamespace AND reltuples < " +
                                                    rows_marker,
                                                params));
  for (const auto& row : outgrown) {
    std::string table = row.Text(0);
    if (!IsPlainIdentifier(table)) return Error::Internal("unexpected table name " + table);
    LINLI_TRY(StatusOf(s.Exec("ANALYZE " + table)));
  }
  return Ok();
}

}  // namespace linli::storage
