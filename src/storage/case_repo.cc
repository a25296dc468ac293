#include "storage/case_repo.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <unordered_map>

#include "core/clock.h"
#include "core/expiring_cache.h"

#include "domain/identity.h"
#include "domain/text.h"

#include "domain/case_workflow.h"
#include "storage/registry_repo.h"

namespace linli::storage {
namespace {

// Whether a search reads its text's matches from the index, or walks the scope's cases in page
// order testing each one's text until a page is full. Reading matches costs ~1.7 µs each, all of
// them (they are sorted into page order afterwards); the walk ~1 µs a row, and stops at a page:
// about page × cases / matches rows when the text is spread evenly (measured at 200,000 cases: a
// text in 11,600 of them took 20 ms from the index and 2–3 ms walking; a text in none 0.5 ms from
// the index and 408 ms walking a subdistrict). So the index while matches² < 0.6 × page × cases:
// at 200,000 cases below ~2,500 matches, at ten million below ~17,000. A walk is bounded by the
// scope whatever the text; reading the index, by this.
double MostMatchesFromTheIndex(double cases, int page) {
  return std::max(1000.0, std::sqrt(0.6 * std::max(page, 1) * cases));
}

// What a search worked out to choose its plan — SQLite's count of a text's matches, PostgreSQL's
// statistics — kept a minute per database (and text). It only chooses the plan, so a stale value
// costs time, never a wrong answer.
constexpr Millis kPlanChoiceLifetime = 60'000;
constexpr std::size_t kPlanChoicesKept = 10'000;
Millis Now() { return SystemClock::Instance().NowMillis(); }

// SQLite: counts the phrase's matches in the FTS5 index, reading at most the threshold's worth —
// ~17,000 entries for a common word at city scale, 1–2.5 ms — so the answer is remembered.
Result<bool> BetterFromTheIndex(SqlSession& s, const std::string& phrase, int page) {
  static ExpiringCache<std::string, bool> decided(kPlanChoiceLifetime, kPlanChoicesKept);
  const std::string key = s.DatabaseKey() + '\n' + std::to_string(page) + '\n' + phrase;
  if (auto known = decided.Get(key, Now())) return *known;
  LINLI_ASSIGN_OR_RETURN(auto last, s.Query("SELECT coalesce(max(id), 0) FROM cases"));
  auto most = static_cast<std::int64_t>(MostMatchesFromTheIndex(last.empty() ? 0 : static_cast<double>(last[0].Int(0)), page));
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query("SELECT count(*) FROM (SELECT 1 FROM case_search WHERE case_search MATCH $1 LIMIT $2)",
                                            {Text(phrase), Int(most + 1)}));
  bool from_index = !rows.empty() && rows[0].Int(0) <= most;
  decided.Put(key, from_index, Now());
  return from_index;
}

// PostgreSQL: a GIN index cannot count a key's matches without reading them all, so its
// statistics decide: ANALYZE's most common elements of linli_pairs(search_text) (up to ten per
// point of the statistics target, with their shares of the cases). A pair not among them is
// rarer than the least of them — and, while the list is not full, rarer than what ANALYZE's
// counting keeps at all: it tracks every element whose share of the sampled rows reaches
// 0.07 × (distinct elements a row) ÷ (the list's length) (PostgreSQL's array_typanalyze.c), so
// one it did not list stayed below that. Taking the least listed share instead made a word no
// case holds look as common as the rarest listed one (1.2 % of a generated city's cases) and
// walk a subdistrict's 100,000 cases: 2.7 s. Read at most once a minute per database — they
// change only when ANALYZE runs.
struct PairStatistics {
  double cases = 0;
  double unlisted_share = 0;  // 0: no statistics yet (a new database): every pair is taken as rare
  std::unordered_map<std::string, double> listed;
};

Result<std::shared_ptr<const PairStatistics>> PairStatisticsOf(SqlSession& s) {
  static ExpiringCache<std::string, std::shared_ptr<const PairStatistics>> kept(kPlanChoiceLifetime, kPlanChoicesKept);
  const std::string database = s.DatabaseKey();
  if (auto known = kept.Get(database, Now())) return *known;
  auto stats = std::make_shared<PairStatistics>();
  LINLI_ASSIGN_OR_RETURN(auto size, s.Query("SELECT reltuples::float8 FROM pg_class WHERE oid = 'cases'::regclass"));
  if (!size.empty()) stats->cases = std::max(0.0, size[0].Real(0));
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query(
      "SELECT u.pair, u.share FROM pg_stats s, "
      "unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS u(pair, share) "
      "WHERE s.schemaname = current_schema() AND s.tablename = 'cases_search' AND s.attname = 'linli_pairs' "
      "AND u.pair IS NOT NULL"));
  double least_listed = 0;
  for (const auto& r : rows) {
    double share = r.Real(1);
    stats->listed.emplace(r.Text(0), share);
    least_listed = least_listed == 0 ? share : std::min(least_listed, share);
  }
  stats->unlisted_share = least_listed;
  if (least_listed > 0) {
    // The distinct pairs a case has on average (the count histogram's last value) and the
    // list's full length (ten per point of the index column's statistics target).
    LINLI_ASSIGN_OR_RETURN(auto shape, s.Query(
        "SELECT s.elem_count_histogram[array_upper(s.elem_count_histogram, 1)]::float8, "
        "(SELECT 10 * coalesce(nullif(a.attstattarget, -1), current_setting('default_statistics_target')::int) "
        "FROM pg_attribute a WHERE a.attrelid = 'cases_search'::regclass AND a.attnum = 1)::float8 "
        "FROM pg_stats s WHERE s.schemaname = current_schema() AND s.tablename = 'cases_search' "
        "AND s.attname = 'linli_pairs'"));
    if (!shape.empty() && !shape[0].IsNull(0) && !shape[0].IsNull(1)) {
      double pairs_a_case = shape[0].Real(0), list_length = shape[0].Real(1);
      if (list_length > 0 && static_cast<double>(stats->listed.size()) < list_length) {
        stats->unlisted_share = std::min(least_listed, 0.07 * pairs_a_case / list_length);
      }
    }
  }
  std::shared_ptr<const PairStatistics> out = std::move(stats);
  kept.Put(database, out, Now());
  return out;
}

// The query's rarest pair, when it is rare enough to read its matches from the index.
Result<std::optional<std::string>> RarePairOf(SqlSession& s, const std::vector<std::string_view>& pairs, int page) {
  LINLI_ASSIGN_OR_RETURN(auto stats, PairStatisticsOf(s));
  std::string_view rarest;
  double share = 2;
  for (auto pair : pairs) {
    auto it = stats->listed.find(std::string(pair));
    double pair_share = it != stats->listed.end() ? it->second : stats->unlisted_share;
    if (pair_share < share) {
      rarest = pair;
      share = pair_share;
    }
  }
  std::optional<std::string> out;
  if (!rarest.empty() && share * stats->cases <= MostMatchesFromTheIndex(stats->cases, page)) out = std::string(rarest);
  return out;
}

constexpr const char* kCaseCols =
    "id, tracking_code, node_id, node_path, category_code, channel, priority, state, level, description, address, "
    "lon, lat, building_id, placed, attributes, reporter_name_enc, reporter_phone_enc, reporter_id, source_key, "
    "assignee_id, department, supervised, reopen_count, overdue, response_due_at, resolve_due_at, next_due_at, "
    "responded_at, resolved_at, solved_level, closed_at, reject_reason, merged_into, rating, rating_comment, rated_at, "
    "created_at, updated_at, version, search_text";

std::optional<double> RealOrNone(const SqlRow& r, std::size_t i) {
  if (r.IsNull(i)) return std::nullopt;
  return r.Real(i);
}

CaseRow CaseFrom(const SqlRow& r) {
  CaseRow c;
  std::size_t i = 0;
  c.id = r.Int(i++);
  c.tracking_code = r.Text(i++);
  c.node_id = r.Int(i++);
  c.node_path = r.Text(i++);
  c.category_code = r.Text(i++);
  c.channel = r.Text(i++);
  c.priority = r.Text(i++);
  c.state = r.Text(i++);
  c.level = r.Text(i++);
  c.description = r.Text(i++);
  c.address = r.Text(i++);
  c.lon = RealOrNone(r, i++);
  c.lat = RealOrNone(r, i++);
  c.building_id = r.Int(i++);
  c.placed = r.Int(i++) != 0;
  c.attributes = r.Text(i++);
  c.reporter_name_enc = r.Text(i++);
  c.reporter_phone_enc = r.Text(i++);
  c.reporter_id = r.Int(i++);
  c.source_key = r.Text(i++);
  c.assignee_id = r.Int(i++);
  c.department = r.Text(i++);
  c.supervised = r.Int(i++) != 0;
  c.reopen_count = static_cast<int>(r.Int(i++));
  c.overdue = static_cast<int>(r.Int(i++));
  c.response_due_at = r.Int(i++);
  c.resolve_due_at = r.Int(i++);
  c.next_due_at = r.Int(i++);
  c.responded_at = r.Int(i++);
  c.resolved_at = r.Int(i++);
  c.solved_level = r.Text(i++);
  c.closed_at = r.Int(i++);
  c.reject_reason = r.Text(i++);
  c.merged_into = r.Int(i++);
  c.rating = static_cast<int>(r.Int(i++));
  c.rating_comment = r.Text(i++);
  c.rated_at = r.Int(i++);
  c.created_at = r.Int(i++);
  c.updated_at = r.Int(i++);
  c.version = r.Int(i++);
  c.search_text = r.Text(i++);
  return c;
}

// The row's columns after id, in kCaseCols order, as parameters $2 … $41.
std::vector<SqlValue> CaseParams(const CaseRow& c) {
  return {Int(c.id), Text(c.tracking_code), Int(c.node_id), Text(c.node_path), Text(c.category_code), Text(c.channel),
          Text(c.priority), Text(c.state), Text(c.level), Text(c.description), Text(c.address), RealOrNull(c.lon),
          RealOrNull(c.lat), IdOrNull(c.building_id), Int(c.placed ? 1 : 0), TextOrNull(c.attributes),
          TextOrNull(c.reporter_name_enc), TextOrNull(c.reporter_phone_enc), IdOrNull(c.reporter_id),
          TextOrNull(c.source_key), IdOrNull(c.assignee_id), TextOrNull(c.department), Int(c.supervised ? 1 : 0),
          Int(c.reopen_count), Int(c.overdue), Int(c.response_due_at), Int(c.resolve_due_at), IdOrNull(c.next_due_at),
          IdOrNull(c.responded_at), IdOrNull(c.resolved_at), TextOrNull(c.solved_level), IdOrNull(c.closed_at),
          TextOrNull(c.reject_reason), IdOrNull(c.merged_into), IdOrNull(c.rating), TextOrNull(c.rating_comment),
          IdOrNull(c.rated_at), Int(c.created_at), Int(c.updated_at), Int(c.version), Text(c.search_text)};
}

Result<std::vector<CaseRow>> CaseQuery(SqlSession& s, const std::string& sql, Params p) {
  return ManyRows<CaseRow>(s, sql, p, CaseFrom);
}

std::string Select() { return std::string("SELECT ") + kCaseCols + " FROM cases "; }

}  // namespace

// ---------------------------------------------------------------------------------------------
Status CategoryRepo::Upsert(SqlSession& s, const CategoryRow& c) {
  return s.ExecDeferred(
      "INSERT INTO case_categories (code, group_code, name, position, definition, retired_at, updated_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (code) DO UPDATE SET group_code = excluded.group_code, "
      "name = excluded.name, position = excluded.position, definition = excluded.definition, "
      "retired_at = excluded.retired_at, updated_at = excluded.updated_at",
      {Text(c.code), TextOrNull(c.group_code), Text(c.name), Int(c.position), Text(c.definition),
       IdOrNull(c.retired_at), Int(c.updated_at)});
}

Result<std::vector<CategoryRow>> CategoryRepo::All(SqlSession& s) {
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query("SELECT code, group_code, name, position, definition, retired_at, updated_at "
                                            "FROM case_categories ORDER BY position, code"));
  std::vector<CategoryRow> out;
  for (const auto& r : rows) {
    out.push_back({r.Text(0), r.Text(1), r.Text(2), static_cast<int>(r.Int(3)), r.Text(4), r.Int(5), r.Int(6)});
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// A new case is held back with the batch's other appended rows and written with them just before
// COMMIT, in multi-row statements: one INSERT a case was over half of PostgreSQL's statement time
// at intake (pg_stat_statements; its start-up cost as much as the row). Until then it is not in
// the table. Only the job that made it knows its id or tracking code before the commit answers
// them, so reading or updating a case by id writes the held-back cases first
// (FlushAppendsHolding), and so does whatever reads or rewrites cases by other keys (lists,
// deadlines, a node's or a building's cases). Looking one up by tracking code or client key need
// not: a duplicate of either is caught by its UNIQUE index at the flush, and the writer then
// decides each job of the batch alone.
constexpr AppendTable kCases{"cases", kCaseCols, /*order=*/0};

Result<CaseRow> CaseRepo::Insert(SqlSession& s, CaseRow c, bool count) {
  if (c.id == 0) {
    LINLI_ASSIGN_OR_RETURN(c.id, s.NextId("cases"));
  }
  c.version = 1;
  LINLI_TRY(AppendRow(s, kCases, CaseParams(c)));
  if (count) LINLI_TRY(Count(s, std::nullopt, c));
  return c;
}

Result<std::optional<CaseRow>> CaseRepo::Get(SqlSession& s, std::int64_t id) {
  LINLI_TRY(FlushAppendsHolding(s, kCases));
  return OneRow<CaseRow>(s, Select() + "WHERE id = $1", Int(id), CaseFrom);
}

Result<std::optional<CaseRow>> CaseRepo::GetByTracking(SqlSession& s, std::string_view tracking_code) {
  return OneRow<CaseRow>(s, Select() + "WHERE tracking_code = $1", Text(tracking_code), CaseFrom);
}

Result<std::optional<CaseRow>> CaseRepo::GetBySource(SqlSession& s, std::string_view source_key) {
  return OneRow<CaseRow>(s, Select() + "WHERE source_key = $1", Text(source_key), CaseFrom);
}

Status CaseRepo::Update(SqlSession& s, const CaseRow& c) {
  LINLI_TRY(FlushAppendsHolding(s, kCases));
  auto params = CaseParams(c);
  std::string sql = "UPDATE cases SET ";
  // Every column but id (parameter 1) and the tracking code, which never change.
  std::string_view cols = kCaseCols;
  std::size_t n = 0;
  std::size_t pos = 0;
  bool first = true;
  while (pos <= cols.size()) {
    std::size_t comma = cols.find(", ", pos);
    std::string_view col = cols.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    ++n;
    if (col != "id" && col != "tracking_code") {
      sql += (first ? "" : ", ") + std::string(col) + " = $" + std::to_string(n);
      first = false;
    }
    if (comma == std::string_view::npos) break;
    pos = comma + 2;
  }
  params.push_back(Int(c.version - 1));
  // The tracking code ($2) is matched rather than set: every parameter must appear so
  // PostgreSQL can infer its type.
  sql += " WHERE id = $1 AND tracking_code = $2 AND version = $" + std::to_string(params.size());
  LINLI_ASSIGN_OR_RETURN(auto changed, s.Exec(sql, Params(params)));
  if (changed != 1) return Error{ErrorCode::kAborted, "the case changed meanwhile; reload it and try again", "version"};
  return Ok();
}

Result<std::vector<CaseRow>> CaseRepo::List(SqlSession& s, const CaseListQuery& q) {
  LINLI_TRY(FlushAppendsHolding(s, kCases));
  std::string sql = Select() + "WHERE ";
  std::vector<SqlValue> p;
  AppendPrefixFilter(sql, "node_path", q.prefixes, p);
  auto add = [&](const char* condition, SqlValue v) {
    sql += std::string(" AND ") + condition + NextMarker(p);
    p.push_back(std::move(v));
  };
  if (!q.states.empty()) {
    sql += " AND state IN (";
    for (std::size_t i = 0; i < q.states.size(); ++i) {
      sql += (i ? ", " : "") + NextMarker(p);
      p.push_back(Text(q.states[i]));
    }
    sql += ")";
  }
  if (q.level) add("level = ", Text(*q.level));
  if (q.category_code) add("category_code = ", Text(*q.category_code));
  if (!q.category_codes.empty()) {
    sql += " AND category_code IN (";
    for (std::size_t i = 0; i < q.category_codes.size(); ++i) {
      sql += (i ? ", " : "") + NextMarker(p);
      p.push_back(Text(q.category_codes[i]));
    }
    sql += ")";
  }
  if (q.created_from) add("created_at >= ", Int(q.created_from));
  if (q.created_to) add("created_at < ", Int(q.created_to));
  if (q.channel) add("channel = ", Text(*q.channel));
  if (q.assignee_id) add("assignee_id = ", Int(*q.assignee_id));
  if (q.open_only) sql += " AND closed_at IS NULL";
  if (q.overdue_only) sql += " AND overdue <> 0 AND closed_at IS NULL";
  if (q.supervised_only) sql += " AND supervised = 1";
  if (!q.text.empty()) {
    // Two characters or more through the index of character pairs (migration 018) when the text
    // is rare enough that reading its matches costs less than a walk: on SQLite (FTS5) counted,
    // on PostgreSQL (a GIN index of linli_pairs) from ANALYZE's statistics. Otherwise, and for
    // one character, a substring match along the scope's rows, which the path filter bounds.
    bool text_tested = false;  // by the engine's own condition, else by LIKE below
    if (s.dialect() == Dialect::kPostgres && domain::Utf8Length(q.text) >= 2) {
      // The text itself by strpos (a LIKE would need its % and _ escaped and be estimated from
      // the texts' statistics), and, when its rarest pair is rare enough, that pair through the
      // index — one pair, so the planner's estimate is that pair's share; given all of a word's
      // pairs it multiplied their shares as if independent, guessed a common word at a
      // seventeenth of its matches and read all of them from the index (17–21 ms against a walk's
      // 3). Walking, strpos comes first: a row's pairs (two regexp_replace, ~13 µs) are computed
      // only for rows holding the text.
      text_tested = true;
      add("strpos(search_text, ", Text(q.text));
      sql += ") > 0";
      LINLI_ASSIGN_OR_RETURN(auto rare, RarePairOf(s, domain::CharacterPairs(q.text), q.limit));
      if (rare) {
        add("linli_pairs(search_text) @> ", Text(PgArray(std::vector<std::string>{*rare})));
        sql += "::text[]";
      }
    }
    if (s.dialect() == Dialect::kSqlite && domain::Utf8Length(q.text) >= 2) {
      std::string phrase = "\"";
      for (char ch : q.text) phrase += ch == '"' ? std::string("\"\"") : std::string(1, ch);
      phrase += "\"";
      LINLI_ASSIGN_OR_RETURN(auto from_index, BetterFromTheIndex(s, phrase, q.limit));
      if (from_index) {
        text_tested = true;
        add("id IN (SELECT rowid FROM case_search WHERE case_search MATCH ", Text(std::move(phrase)));
        sql += ")";
      }
    }
    if (!text_tested) {
      add("search_text LIKE ", Text(LikeContaining(q.text)));
      sql += " ESCAPE '\\'";
    }
  }
  AppendPathPage(sql, p, "cases", "node_path", "id", q.after_id, q.limit);
  // Without text, a walk of the path index (or its open cases' one) in key order: one plan fits
  // every scope. With text, planned for these values: how many rows the text (or its pair) matches
  // decides between walking the path index and reading the search index.
  LINLI_ASSIGN_OR_RETURN(auto rows, q.text.empty() ? s.QueryPlannedOnce(sql, Params(p))
                                                   : s.QueryPlannedForValues(sql, Params(p)));
  std::vector<CaseRow> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(CaseFrom(r));
  return out;
}

Result<std::vector<CaseRow>> CaseRepo::DueBy(SqlSession& s, Millis now, int limit) {
  LINLI_TRY(FlushAppendsHolding(s, kCases));
  return CaseQuery(s, Select() + "WHERE next_due_at IS NOT NULL AND next_due_at <= $1 ORDER BY next_due_at LIMIT $2",
                   std::vector<SqlValue>{Int(now), Int(limit)});
}

Result<Millis> CaseRepo::EarliestDue(SqlSession& s) {
  LINLI_TRY(FlushAppendsHolding(s, kCases));
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query("SELECT min(next_due_at) FROM cases WHERE next_due_at IS NOT NULL"));
  return rows.empty() ? 0 : rows[0].Int(0);
}

Result<std::vector<std::pair<std::string, domain::CaseFacts>>> CaseRepo::FactsUnder(SqlSession& s, std::string_view path) {
  LINLI_TRY(FlushAppendsHolding(s, kCases));
  auto [lo, hi] = PrefixRange(path);
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query("SELECT node_path, state, category_code, created_at, responded_at, resolved_at, "
                                            "resolve_due_at, solved_level, overdue, rating, rated_at FROM cases "
                                            "WHERE node_path >= $1 AND node_path < $2",
                                            {Text(lo), Text(hi)}));
  std::vector<std::pair<std::string, domain::CaseFacts>> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    // Facts reads these fields of a case and no others.
    CaseRow c;
    c.state = r.Text(1);
    c.category_code = r.Text(2);
    c.created_at = r.Int(3);
    c.responded_at = r.Int(4);
    c.resolved_at = r.Int(5);
    c.resolve_due_at = r.Int(6);
    c.solved_level = r.Text(7);
    c.overdue = static_cast<int>(r.Int(8));
    c.rating = static_cast<int>(r.Int(9));
    c.rated_at = r.Int(10);
    out.emplace_back(r.Text(0), Facts(c));
  }
  return out;
}

domain::CaseFacts CaseRepo::Facts(const CaseRow& c) {
  domain::CaseFacts f;
  f.state = domain::ParseCaseState(c.state).value_or(domain::CaseState::kReported);
  f.group = c.category_code.substr(0, c.category_code.find('.'));
  f.category = c.category_code;
  f.reported_at = c.created_at;
  if (c.state != "reported" && c.state != "rejected") f.accepted_at = c.responded_at;
  f.resolved_at = c.resolved_at;
  f.resolve_due_at = c.resolve_due_at;
  if (!c.solved_level.empty()) f.solved_at = domain::ParseHandlingLevel(c.solved_level);
  f.overdue = c.overdue != 0;
  f.rating = c.rating;
  f.rated_at = c.rated_at;
  return f;
}

Status CaseRepo::Count(SqlSession& s, const std::optional<CaseRow>& before, const CaseRow& after) {
  if (before && before->node_path != after.node_path) {
    // Moved: count the old facts out of the old path and the new ones into the new path.
    auto out = domain::CaseCounts(Facts(*before));
    for (auto& [metric, value] : out) value = -value;
    LINLI_TRY(RollupRepo::AddMany(s, before->node_path, out));
    return RollupRepo::AddMany(s, after.node_path, domain::CaseCounts(Facts(after)));
  }
  std::optional<domain::CaseFacts> was;
  if (before) was = Facts(*before);
  return RollupRepo::AddMany(s, after.node_path, domain::CaseCountDelta(was, Facts(after)));
}

namespace {
constexpr AppendTable kCaseEvents{
    "case_events", "id, case_id, at, actor_kind, actor_id, action, from_state, to_state, from_level, to_level, note, detail"};
std::vector<SqlValue> CaseEventValues(const CaseEventRow& e) {
  return {Int(e.id), Int(e.case_id), Int(e.at), Text(e.actor_kind), IdOrNull(e.actor_id), Text(e.action),
          TextOrNull(e.from_state), Text(e.to_state), TextOrNull(e.from_level), Text(e.to_level), Text(e.note),
          TextOrNull(e.detail)};
}
}  // namespace

Status CaseRepo::AppendEvent(SqlSession& s, CaseEventRow e) {
  if (e.id == 0) {
    LINLI_ASSIGN_OR_RETURN(e.id, s.NextId("case_events"));
  }
  return AppendRow(s, kCaseEvents, CaseEventValues(e));
}

Status CaseRepo::AppendEvents(SqlSession& s, const std::vector<CaseEventRow>& events) {
  RowInserter ins(s, kCaseEvents.table, kCaseEvents.columns, 64);
  ins.SendByCopy();
  for (const auto& e : events) {
    if (e.id == 0) return Error::Internal("CaseRepo::AppendEvents needs ids drawn beforehand");
    LINLI_TRY(ins.AddRow(CaseEventValues(e)));
  }
  return ins.Finish();
}

Status CaseRepo::InsertMany(SqlSession& s, const std::vector<CaseRow>& cases) {
  RowInserter ins(s, "cases", kCaseCols, 32);
  ins.SendByCopy();
  for (const auto& c : cases) {
    if (c.id == 0) return Error::Internal("CaseRepo::InsertMany needs ids drawn beforehand");
    CaseRow row = c;
    row.version = 1;
    LINLI_TRY(ins.AddRow(CaseParams(row)));
  }
  return ins.Finish();
}

namespace {
constexpr const char* kEventCols =
    "e.id, e.case_id, e.at, e.actor_kind, e.actor_id, e.action, e.from_state, e.to_state, e.from_level, e.to_level, "
    "e.note, e.detail";
CaseEventRow EventFrom(const SqlRow& r) {
  return {r.Int(0), r.Int(1), r.Int(2), r.Text(3), r.Int(4), r.Text(5), r.Text(6), r.Text(7), r.Text(8),
          r.Text(9), r.Text(10), r.Text(11)};
}
}  // namespace

namespace {
constexpr const char* kAttachmentCols =
    "id, case_id, content_hash, content_type, size, file_name, public, actor_kind, actor_id, created_at";
AttachmentRow AttachmentFrom(const SqlRow& r) {
  return {r.Int(0), r.Int(1), r.Text(2), r.Text(3), r.Int(4), r.Text(5), r.Int(6) != 0, r.Text(7), r.Int(8), r.Int(9)};
}
}  // namespace

Status CaseRepo::InsertAttachment(SqlSession& s, const AttachmentRow& a) {
  return s.ExecDeferred(std::string("INSERT INTO case_attachments (") + kAttachmentCols +
                            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                        {Int(a.id), Int(a.case_id), Text(a.content_hash), Text(a.content_type), Int(a.size),
                         Text(a.file_name), Int(a.is_public ? 1 : 0), Text(a.actor_kind), IdOrNull(a.actor_id),
                         Int(a.created_at)});
}

Result<std::vector<AttachmentRow>> CaseRepo::Attachments(SqlSession& s, std::int64_t case_id) {
  return ManyRows<AttachmentRow>(
      s, std::string("SELECT ") + kAttachmentCols + " FROM case_attachments WHERE case_id = $1 ORDER BY id",
      std::vector<SqlValue>{Int(case_id)}, AttachmentFrom);
}

Result<std::optional<AttachmentRow>> CaseRepo::Attachment(SqlSession& s, std::int64_t id) {
  return OneRow<AttachmentRow>(s, std::string("SELECT ") + kAttachmentCols + " FROM case_attachments WHERE id = $1",
                               Int(id), AttachmentFrom);
}

Result<std::vector<CaseEventRow>> CaseRepo::Events(SqlSession& s, std::int64_t case_id, Millis since) {
  LINLI_TRY(FlushAppends(s));
  return ManyRows<CaseEventRow>(s, std::string("SELECT ") + kEventCols +
                                       " FROM case_events e WHERE e.case_id = $1 AND e.at >= $2 ORDER BY e.id",
                                std::vector<SqlValue>{Int(case_id), Int(since)}, EventFrom);
}

Result<int> CaseRepo::EnsureEventPartitions(SqlSession& s, Millis now) {
  if (s.dialect() != Dialect::kPostgres) return 0;
  LINLI_ASSIGN_OR_RETURN(auto rows, s.Query("SELECT linli_ensure_case_event_partitions($1, 3)", {Int(now)}));
  return static_cast<int>(rows.at(0).Int(0));
}

Result<bool> CaseRepo::PartitionEventsSince(SqlSession& s, Millis from, Millis now) {
  if (s.dialect() != Dialect::kPostgres) return false;
  LINLI_ASSIGN_OR_RETURN(auto holds, s.Query("SELECT CASE WHEN EXISTS (SELECT 1 FROM case_events_before) THEN 1 ELSE 0 END"));
  if (holds.at(0).Int(0) != 0) return false;
  domain::CivilDate first = domain::ChinaDate(from), last = domain::ChinaDate(now);
  Millis bound = domain::ChinaMidnight({first.year, first.month, 1});
  // Detached and attached again with the narrower range (an empty table: nothing to check).
  LINLI_TRY(s.ExecScript("ALTER TABLE case_events DETACH PARTITION case_events_before; "
                         "ALTER TABLE case_events ATTACH PARTITION case_events_before FOR VALUES FROM (MINVALUE) TO (" +
                         std::to_string(bound) + ")"));
  int months_after = (last.year * 12 + last.month) - (first.year * 12 + first.month) + 3;  // and the three ahead
  LINLI_TRY(s.Query("SELECT linli_ensure_case_event_partitions($1, $2)", {Int(bound), Int(months_after)}));
  return true;
}

Result<std::vector<std::pair<CaseEventRow, std::string>>> CaseRepo::EventsBetween(SqlSession& s, Millis from, Millis to,
                                                                                 const std::vector<std::string>& prefixes,
                                                                                 int limit) {
  LINLI_TRY(FlushAppends(s));
  std::vector<SqlValue> p = {Int(from), Int(to)};
  std::string sql = std::string("SELECT ") + kEventCols +
                    ", c.tracking_code FROM case_events e JOIN cases c ON c.id = e.case_id "
                    "WHERE e.at >= $1 AND e.at < $2 AND ";
  AppendPrefixFilter(sql, "c.node_path", prefixes, p);
  sql += " ORDER BY e.at, e.id LIMIT " + NextMarker(p);
  p.push_back(Int(limit));
  return ManyRows<std::pair<CaseEventRow, std::string>>(s, sql, p, [](const SqlRow& r) {
    return std::make_pair(EventFrom(r), r.Text(12));
  });
}

}  // namespace linli::storage
