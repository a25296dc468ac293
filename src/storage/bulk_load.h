// Loading a large amount of rows into tables that are empty or nearly so (bench-data's synthetic
// region): what makes each row's insert dear is suspended before the load and put back after it;
// and for any bulk write, statistics refreshed where they would have it planned for empty tables.
// - Secondary indexes: building one sorts its keys once; keeping it while loading inserts every
//   row's key into a B-tree at a random place.
// - Foreign keys, on PostgreSQL: each inserted row's keys are checked by a query of its own (a
//   third of PostgreSQL's CPU while generating a subdistrict); added back, a key is checked once
//   over the whole table. SQLite has none to suspend: its check is a look-up in a page it holds
//   (turning them off changed nothing), and dropping one there means rebuilding the table.
// Each is kept as the statement that defines it ("CREATE INDEX …", "ALTER TABLE … ADD CONSTRAINT
// … FOREIGN KEY …"), so suspending drops what the statement made and reinstating runs it again.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "storage/sql.h"

namespace linli::storage {

// The CREATE INDEX statements of `tables`' indexes that neither enforce uniqueness nor back a key
// (those stay: they keep the data right and serve the lookups a load makes as it goes).
Result<std::vector<std::string>> SecondaryIndexes(SqlSession& s, const std::vector<std::string_view>& tables);
// The CREATE [UNIQUE] INDEX statements of the indexes named (every one must exist; a UNIQUE
// column's has no statement, so it cannot be named).
Result<std::vector<std::string>> NamedIndexes(SqlSession& s, const std::vector<std::string_view>& names);
// The CREATE UNIQUE INDEX statements of the indexes named, for a load whose caller vouches for
// their keys (bench-data's generated rows): rebuilt after the load, which checks them. Only an index
// made by CREATE UNIQUE INDEX may be named (a UNIQUE column's cannot be dropped on SQLite).
Result<std::vector<std::string>> UniqueIndexes(SqlSession& s, const std::vector<std::string_view>& names);
// The ALTER TABLE … ADD CONSTRAINT statements of `tables`' foreign keys on PostgreSQL (a
// partitioned table's once, on the parent: its partitions' follow it); none on SQLite.
Result<std::vector<std::string>> ForeignKeys(SqlSession& s, const std::vector<std::string_view>& tables);
// Drops what `definitions` (from the two above) define, and records them in suspended_for_load
// in the same transaction: a load killed before it puts them back leaves the record behind.
Status Suspend(SqlSession& s, const std::vector<std::string>& definitions);
// Both of the above for `tables`: their secondary indexes and foreign keys, suspended and
// returned (indexes first), for Reinstate after the load.
Result<std::vector<std::string>> SuspendForLoad(SqlSession& s, const std::vector<std::string_view>& tables);
// Defines it again, in the order given (indexes before the keys: a key's check reads the tables),
// and strikes it from the record. A definition no longer recorded was put back by someone else
// (a server started during the load: PutBackSuspended) and is skipped. A foreign key added back
// checks every row, so a load that broke one fails here, and the record stays.
Status Reinstate(SqlSession& s, const std::vector<std::string>& definitions);
// What a load suspended and has not put back, in the order to put it back.
Result<std::vector<std::string>> StillSuspended(SqlSession& s);

// PostgreSQL plans each foreign key's check from the referenced table's statistics. Tables emptied
// of their rows (an import rolled back, then vacuumed) are recorded as empty, and the checks of the
// next import into them were planned as scans: 65,539 residents took 57–182 s instead of 5–6.
// A bulk write that has put `rows_written` rows into `tables` in its open transaction calls this:
// each table recorded as holding fewer rows is analysed there and then, which counts the
// transaction's own rows, and the checks are planned again. Nothing on SQLite (its checks look
// a key up directly).
Status AnalyzeOutgrownTables(SqlSession& s, const std::vector<std::string_view>& tables, std::int64_t rows_written);

}  // namespace linli::storage
