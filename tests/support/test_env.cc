#include "support/test_env.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

namespace linli::testing {

const std::string& SourceDir() {
  static const std::string dir = LINLI_SOURCE_DIR;  // set by tests/CMakeLists.txt
  return dir;
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/linli-test-XXXXXX";
  char* p = mkdtemp(tmpl);
  if (!p) throw std::runtime_error("mkdtemp failed");
  path_ = p;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string PgAdminUrl() {
  if (const char* url = std::getenv("LINLI_TEST_PG_URL"); url && *url) return url;
  if (const char* file = std::getenv("LINLI_TEST_PG_URL_FILE"); file && *file) {
    std::ifstream in(file);
    std::string url;
    if (in && std::getline(in, url) && !url.empty()) return url;
  }
  if (const char* req = std::getenv("LINLI_REQUIRE_PG"); req && std::string(req) == "1") {
    ADD_FAILURE() << "PostgreSQL tests are required but no test cluster is running";
  }
  return "";
}

namespace {
void AdminExec(const std::string& sql) {
  PGconn* c = PQconnectdb(PgAdminUrl().c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(c);
    PQfinish(c);
    throw std::runtime_error("cannot reach the test PostgreSQL: " + msg);
  }
  PGresult* r = PQexec(c, sql.c_str());
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  std::string msg = PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(c);
  if (!ok) throw std::runtime_error(sql + ": " + msg);
}
}  // namespace

std::string CreatePgDatabase() {
  static std::atomic<int> counter{0};
  std::mt19937 rng(std::random_device{}());
  std::string name = "linli_t" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
                     std::to_string(rng() % 100000);
  AdminExec("CREATE DATABASE " + name);
  std::string admin = PgAdminUrl();
  return admin.substr(0, admin.rfind('/') + 1) + name;
}

void DropPgDatabase(const std::string& url) {
  std::string name = url.substr(url.rfind('/') + 1);
  try {
    AdminExec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  } catch (const std::exception&) {
  }
}

std::vector<std::string> Backends() {
  std::vector<std::string> out = {"sqlite"};
  if (!PgAdminUrl().empty()) out.push_back("postgres");
  return out;
}

std::string FreshDatabaseUrl(const std::string& backend, const std::string& dir) {
  if (backend == "postgres") return CreatePgDatabase();
  return "sqlite://" + dir + "/linli.db";
}

}  // namespace linli::testing
