// A running Linli per backend for API scenarios: a fresh database with the demo subdistrict,
// `linli serve` on a free loopback port, and helpers to sign in as the demo accounts.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "support/http_client.h"
#include "support/server_process.h"
#include "support/test_env.h"

namespace linli::testing {

inline constexpr const char* kDemoPassword = "Linli-demo-2026";

struct Stack {
  std::string backend;
  TempDir dir;
  std::string url;
  std::unique_ptr<ServerProcess> server;
  std::map<std::string, std::string> tokens;  // username -> bearer token

  // The global flags naming this stack's database and key file.
  std::vector<std::string> DbArgs() const {
    return {"--db", url, "--key-file", dir.path() + "/linli.key", "--attachments-dir", dir.path() + "/attachments"};
  }
  // `linli` arguments for a subcommand on this stack.
  std::vector<std::string> With(std::initializer_list<std::string> more) const {
    auto args = DbArgs();
    args.insert(args.end(), more);
    return args;
  }
  HttpClient Anonymous() const { return HttpClient{server->port()}; }
  HttpClient As(const std::string& username, const std::string& password = kDemoPassword);
  ~Stack();
};

// The shared stack of a backend, started on first use with `extra_serve_args`.
Stack& StackFor(const std::string& backend);
// A stack of its own (for tests that stop or break the server).
std::unique_ptr<Stack> NewStack(const std::string& backend, std::vector<std::string> serve_args = {},
                                bool demo = true);

// Signs in and returns the bearer token (fails the test on error).
std::string Login(const HttpClient& anon, const std::string& username, const std::string& password);

// Every item of a keyset-paged list (`path` with its filters, without limit or after), in the
// list's order, following next_after 500 at a time; a page that does not answer 200 fails the
// test and ends the walk.
std::vector<boost::json::object> AllItems(const HttpClient& c, const std::string& path);

class ApiTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres" && PgAdminUrl().empty()) GTEST_SKIP() << "no PostgreSQL test cluster";
  }
  Stack& stack() { return StackFor(GetParam()); }
};

}  // namespace linli::testing
