#include "api/api_fixture.h"

#include <signal.h>

namespace linli::testing {

std::string Login(const HttpClient& anon, const std::string& username, const std::string& password) {
  auto r = anon.PostJson("/api/v1/auth/login", "{\"username\":\"" + username + "\",\"password\":\"" +
                                                   password + "\",\"bearer\":true}");
  EXPECT_EQ(r.status, 200) << username << ": " << r.body;
  if (r.status != 200) return "";
  return std::string(r.Json().at("token").as_string());
}

std::vector<boost::json::object> AllItems(const HttpClient& c, const std::string& path) {
  std::vector<boost::json::object> items;
  const char* join = path.find('?') == std::string::npos ? "?" : "&";
  for (std::int64_t after = 0;;) {
    auto page = c.Get(path + join + "limit=500&after=" + std::to_string(after));
    EXPECT_EQ(page.status, 200) << path << ": " << page.body;
    if (page.status != 200) return items;
    auto body = page.Json();
    for (const auto& item : body.at("items").as_array()) items.push_back(item.as_object());
    if (body.at("next_after").is_null()) return items;
    after = body.at("next_after").as_int64();
  }
}

HttpClient Stack::As(const std::string& username, const std::string& password) {
  auto it = tokens.find(username);
  if (it == tokens.end()) it = tokens.emplace(username, Login(Anonymous(), username, password)).first;
  HttpClient c{server->port()};
  c.bearer = it->second;
  return c;
}

Stack::~Stack() {
  server.reset();
  if (backend == "postgres" && !url.empty()) DropPgDatabase(url);
}

std::unique_ptr<Stack> NewStack(const std::string& backend, std::vector<std::string> serve_args, bool demo) {
  auto s = std::make_unique<Stack>();
  s->backend = backend;
  s->url = FreshDatabaseUrl(backend, s->dir.path());
  if (demo) {
    auto r = RunLinli(s->With({"demo", "--size", "small"}));
    EXPECT_EQ(r.exit_code, 0) << r.output;
  }
  s->server = std::make_unique<ServerProcess>(s->DbArgs(), std::move(serve_args));
  s->server->Start();
  return s;
}

Stack& StackFor(const std::string& backend) {
  static std::map<std::string, std::unique_ptr<Stack>> stacks;
  auto& slot = stacks[backend];
  // The shared server allows many sign-ins per minute: the tests sign in often from one IP.
  if (!slot) slot = NewStack(backend, {"--login-rate", "10000", "--public-rate", "10000"});
  return *slot;
}

}  // namespace linli::testing
