// What the tests share: temporary folders, the throwaway PostgreSQL cluster that ctest starts
// (tests/pg_cluster.sh), and the backends a contract test runs against.
#pragma once

#include <string>
#include <vector>

namespace linli::testing {

// A fresh folder under /tmp, removed when the object goes.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The admin URL of the test cluster. Fails the calling test when PostgreSQL tests are required
// (LINLI_REQUIRE_PG=1, as in CI) and no cluster is there; otherwise "" means "skip".
std::string PgAdminUrl();
// A new, empty database in the test cluster; its URL.
std::string CreatePgDatabase();
void DropPgDatabase(const std::string& url);

// "sqlite" always; "postgres" when a cluster is available.
std::vector<std::string> Backends();

// The project's source folder (for test data and scripts kept beside the tests).
const std::string& SourceDir();

// A URL for a fresh database of the backend, living in `dir` for SQLite.
std::string FreshDatabaseUrl(const std::string& backend, const std::string& dir);

}  // namespace linli::testing
