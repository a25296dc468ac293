#include "storage/sql.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <map>
#include <unordered_map>

namespace linli::storage {

std::string_view DialectName(Dialect d) { return d == Dialect::kSqlite ? "sqlite" : "postgres"; }

std::int64_t SqlRow::Int(std::size_t i) const {
  const auto& v = cols[i];
  if (auto p = std::get_if<std::int64_t>(&v)) return *p;
  if (auto p = std::get_if<double>(&v)) return static_cast<std::int64_t>(*p);
  if (auto p = std::get_if<std::string>(&v)) {
    std::int64_t out = 0;
    std::from_chars(p->data(), p->data() + p->size(), out);
    return out;
  }
  return 0;
}

double SqlRow::Real(std::size_t i) const {
  const auto& v = cols[i];
  if (auto p = std::get_if<double>(&v)) return *p;
  if (auto p = std::get_if<std::int64_t>(&v)) return static_cast<double>(*p);
  if (auto p = std::get_if<std::string>(&v)) return std::strtod(p->c_str(), nullptr);
  return 0;
}

std::string SqlRow::Text(std::size_t i) const {
  const auto& v = cols[i];
  if (auto p = std::get_if<std::string>(&v)) return *p;
  if (auto p = std::get_if<std::int64_t>(&v)) return std::to_string(*p);
  if (auto p = std::get_if<double>(&v)) return std::to_string(*p);
  return {};
}

bool IsPlainIdentifier(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

std::pair<std::string, std::string> PrefixRange(std::string_view prefix) {
  std::string hi(prefix);
  // Strip trailing 0xFF bytes (they cannot be incremented), then bump the last byte.
  while (!hi.empty() && static_cast<unsigned char>(hi.back()) == 0xFF) hi.pop_back();
  if (!hi.empty()) hi.back() = static_cast<char>(static_cast<unsigned char>(hi.back()) + 1);
  return {std::string(prefix), hi};
}

std::string LikeContaining(std::string_view text) {
  std::string pattern = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') pattern += '\\';
    pattern += c;
  }
  return pattern + "%";
}

void AppendPrefixFilter(std::string& sql, std::string_view column,
                        const std::vector<std::string>& prefixes, std::vector<SqlValue>& params) {
  if (prefixes.empty()) {
    sql += "(1=0)";
    return;
  }
  sql += '(';
  for (std::size_t i = 0; i < prefixes.size(); ++i) {
    auto [lo, hi] = PrefixRange(prefixes[i]);
    if (i) sql += " OR ";
    params.emplace_back(std::move(lo));
    sql += "(" + std::string(column) + " >= $" + std::to_string(params.size());
    params.emplace_back(std::move(hi));
    sql += " AND " + std::string(column) + " < $" + std::to_string(params.size()) + ")";
  }
  sql += ')';
}

void AppendPathPage(std::string& sql, std::vector<SqlValue>& params, std::string_view table, std::string_view path_column,
                    std::string_view id_column, std::int64_t after_id, int limit) {
  std::string path(path_column), id(id_column);
  if (after_id > 0) {
    params.emplace_back(after_id);
    std::string after = "$" + std::to_string(params.size());
    sql += " AND (" + path + ", " + id + ") > ((SELECT node_path FROM " + std::string(table) + " WHERE id = " + after +
           "), " + after + ")";
  }
  params.emplace_back(std::int64_t{limit});
  sql += " ORDER BY " + path + ", " + id + " LIMIT $" + std::to_string(params.size());
}

Status SqlSession::CopyRows(std::string_view, Params, std::size_t) {
  return Error::Internal(std::string(DialectName(dialect())) + " does not copy rows");
}

std::string Markers(std::size_t first, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) out += (i ? ", $" : "$") + std::to_string(first + i);
  return out;
}

std::string PgArray(const std::vector<std::int64_t>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) (out += i ? "," : "") += std::to_string(values[i]);
  return out + "}";
}

std::string PgArray(const std::vector<std::string>& values) {
  // Every element quoted, so commas, braces, spaces and the word NULL stay text; within the
  // quotes only a quote and a backslash are escaped.
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    out += i ? ",\"" : "\"";
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

RowInserter::RowInserter(SqlSession& s, std::string_view table, std::initializer_list<std::string_view> columns,
                         std::size_t rows_per_statement, std::string_view on_conflict)
    : s_(s), columns_(0), rows_per_statement_(std::max<std::size_t>(1, rows_per_statement)) {
  std::string list;
  for (auto c : columns) (list += list.empty() ? "" : ", ") += c;
  Build(table, list, on_conflict);
}

RowInserter::RowInserter(SqlSession& s, std::string_view table, std::string_view column_list,
                         std::size_t rows_per_statement, std::string_view on_conflict)
    : s_(s), columns_(0), rows_per_statement_(std::max<std::size_t>(1, rows_per_statement)) {
  Build(table, column_list, on_conflict);
}

// The statements of one (table, columns, conflict): the same every time, so built once per thread
// and found again by the text they were made from (a case's insert on the writer parsed its 41
// columns anew for every report: 2–3 % of the writer).
struct RowInserter::Statements {
  std::size_t columns = 0;
  std::string head, tail;                      // "INSERT INTO t (a, b) VALUES " and the conflict clause
  std::string copy;                            // "COPY t (a, b) FROM STDIN" ("" with a conflict clause)
  std::map<std::size_t, std::string> by_rows;  // the statement for n rows, built when first needed
};

void RowInserter::Build(std::string_view table, std::string_view column_list, std::string_view on_conflict) {
  thread_local std::unordered_map<std::string, Statements, StringHash, std::equal_to<>> built;
  std::string key;
  key.reserve(table.size() + column_list.size() + on_conflict.size() + 2);
  ((((key += table) += '\x1f') += column_list) += '\x1f') += on_conflict;
  auto it = built.find(key);
  if (it == built.end()) {
    Statements st;
    st.head = "(";
    for (std::size_t pos = 0; pos <= column_list.size();) {
      std::size_t comma = column_list.find(',', pos);
      std::string_view col = column_list.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
      while (!col.empty() && col.front() == ' ') col.remove_prefix(1);
      while (!col.empty() && col.back() == ' ') col.remove_suffix(1);
      (st.head += st.columns++ ? ", " : "") += col;
      if (comma == std::string_view::npos) break;
      pos = comma + 1;
    }
    st.head += ")";
    if (on_conflict.empty()) st.copy = "COPY " + std::string(table) + " " + st.head + " FROM STDIN";
    st.head = "INSERT INTO " + std::string(table) + " " + st.head + " VALUES ";
    st.tail = on_conflict.empty() ? "" : " " + std::string(on_conflict);
    it = built.emplace(std::move(key), std::move(st)).first;
  }
  // Elements of an unordered_map (and of a map) stay where they are, and an inserter lives on one
  // thread.
  statements_ = &it->second;
  columns_ = statements_->columns;
  batch_sql_ = &SqlFor(rows_per_statement_);
  pending_.reserve(rows_per_statement_ * columns_);
}

const std::string& RowInserter::SqlFor(std::size_t rows) {
  auto [it, fresh] = statements_->by_rows.try_emplace(rows);
  if (fresh) {
    std::string sql = statements_->head;
    for (std::size_t r = 0; r < rows; ++r) sql += (r ? ", (" : "(") + Markers(r * columns_ + 1, columns_) + ")";
    it->second = sql + statements_->tail;
  }
  return it->second;
}

Status RowInserter::AddRow(std::vector<SqlValue> values) {
  if (values.size() != columns_) return Error::Internal("RowInserter: a row has the wrong number of values");
  return AddRows(values);
}

Status RowInserter::AddRow(Params values) {
  if (values.size() != columns_) return Error::Internal("RowInserter: a row has the wrong number of values");
  pending_.insert(pending_.end(), values.begin(), values.end());
  if (pending_.size() == rows_per_statement_ * columns_) return SendFull();
  return Ok();
}

void RowInserter::SendByCopy(std::size_t rows_per_copy) {
  if (statements_->copy.empty() || !s_.CopiesRows() || !pending_.empty()) return;
  rows_per_copy_ = std::max<std::size_t>(1, rows_per_copy);
  // A "statement" is now one COPY of rows_per_copy rows: Add and AddRow send it when it is full.
  // (Nothing reserved: a community's file of a few dozen rows would hold a whole copy's room.)
  rows_per_statement_ = rows_per_copy_;
}

Status RowInserter::AddRows(std::span<SqlValue> values) {
  if (values.size() % columns_ != 0) return Error::Internal("RowInserter: rows with the wrong number of values");
  const std::size_t full = rows_per_statement_ * columns_;
  std::size_t at = 0;
  // The statement begun by earlier rows is completed first, so the rows go in the order given.
  while (!pending_.empty() && at < values.size()) {
    pending_.push_back(std::move(values[at++]));
    if (pending_.size() == full) LINLI_TRY(SendFull());
  }
  for (; values.size() - at >= full; at += full) LINLI_TRY(Send(Params(values.data() + at, full)));
  for (; at < values.size(); ++at) pending_.push_back(std::move(values[at]));
  return Ok();
}

Status RowInserter::Send(Params full_statement) {
  return rows_per_copy_ ? s_.CopyRows(statements_->copy, full_statement, columns_)
                        : s_.ExecDeferred(*batch_sql_, full_statement);
}

Status RowInserter::SendFull() {
  Status st = Send(Params(pending_));
  pending_.clear();
  return st;
}

Status RowInserter::Finish() {
  if (rows_per_copy_) {
    if (pending_.empty()) return Ok();
    return SendFull();
  }
  // What is left (fewer rows than a full statement) goes in statements of 32, 16, ... rows, so a
  // batch of 205 reports' events costs 3 full statements and 3 more (8, 4, 1), not 3 and 13.
  std::vector<SqlValue> rest = std::move(pending_);
  pending_.clear();
  std::size_t rows = rest.size() / columns_, done = 0;
  while (done < rows) {
    std::size_t n = std::bit_floor(rows - done);
    LINLI_TRY(s_.ExecDeferred(SqlFor(n), Params(rest.data() + done * columns_, n * columns_)));
    done += n;
  }
  return Ok();
}

// ---------------------------------------------------------------------------------------------

Status AppendRow(SqlSession& s, const AppendTable& table, std::vector<SqlValue> values) {
  if (s.defer_to_commit) {
    s.pending_appends.push_back({&table, std::move(values)});
    return Ok();
  }
  RowInserter one(s, table.table, table.columns, 1);
  LINLI_TRY(one.AddRow(std::move(values)));
  return one.Finish();
}

Status FlushAppends(SqlSession& s) {
  auto& rows = s.pending_appends;
  std::size_t from = s.appends_flushed;
  if (from == rows.size()) return Ok();
  // Table by table, parents first (AppendTable::order), else in the order each first appears.
  // The rows stay held until the transaction ends: if a later job's savepoint (inside which this
  // flush ran) rolls back, they are written again at the next flush (SqlSession::RollBackJob).
  std::vector<const AppendTable*> tables;
  for (std::size_t i = from; i < rows.size(); ++i) {
    if (std::find(tables.begin(), tables.end(), rows[i].table) == tables.end()) tables.push_back(rows[i].table);
  }
  std::stable_sort(tables.begin(), tables.end(), [](const AppendTable* a, const AppendTable* b) { return a->order < b->order; });
  for (const AppendTable* t : tables) {
    RowInserter ins(s, t->table, t->columns, 64);
    for (std::size_t i = from; i < rows.size(); ++i) {
      if (rows[i].table == t) LINLI_TRY(ins.AddRow(Params(rows[i].values)));
    }
    LINLI_TRY(ins.Finish());
  }
  s.appends_flushed = rows.size();
  return Ok();
}

Status FlushAppendsHolding(SqlSession& s, const AppendTable& table) {
  const auto& rows = s.pending_appends;
  bool holding = std::any_of(rows.begin() + static_cast<std::ptrdiff_t>(s.appends_flushed), rows.end(),
                             [&](const SqlSession::PendingAppend& r) { return r.table == &table; });
  return holding ? FlushAppends(s) : Ok();
}

}  // namespace linli::storage
