// Durability: kill the server with SIGKILL in the middle of a stream of writes; after a restart
// every write that was acknowledged (201) is there, the database is intact and the audit chain
// verifies. On both backends.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "api/api_fixture.h"

namespace linli::testing {
namespace {

class CrashTest : public ApiTest {};

TEST_P(CrashTest, EveryAcknowledgedWriteSurvivesSigkill) {
  auto st = NewStack(GetParam());
  auto sys = st->As("sysadmin");
  std::mutex mu;
  std::set<std::string> acknowledged;
  std::atomic<bool> stop{false};
  std::atomic<int> sent{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 16; ++w) {
    writers.emplace_back([&, w] {
      // Codes are the grid's code and a 3-digit number (001 and 002 are taken): 50 per writer.
      for (int i = 0; !stop && i < 50; ++i) {
        char number[16];
        std::snprintf(number, sizeof number, "%03d", 100 + w * 50 + i);
        std::string code = std::string("320581001001101001") + number;
        try {
          auto r = sys.PostJson("/api/v1/org/nodes", R"({"parent_id":5,"type":"micro_grid","code":")" + code +
                                                          R"(","name":"压力测试"})");
          ++sent;
          if (r.status == 201) {
            std::lock_guard lock(mu);
            acknowledged.insert(code);
          } else if (r.status == 0) {
            return;  // the server is gone
          }
        } catch (const std::exception&) {
          return;  // connection refused: the server is gone
        }
      }
    });
  }
  // Let the stream run, then kill without warning while writes are in flight.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::lock_guard lock(mu);
    if (acknowledged.size() >= 300) break;
  }
  st->server->Kill(SIGKILL);
  stop = true;
  for (auto& t : writers) t.join();
  std::size_t acked = acknowledged.size();
  ASSERT_GE(acked, 300u);
  EXPECT_GT(sent.load(), static_cast<int>(acked)) << "some writes were cut off by the kill";

  ServerProcess restarted(st->DbArgs(), {"--login-rate", "10000"});
  restarted.Start();
  HttpClient c{restarted.port()};
  c.bearer = Login(c, "sysadmin", kDemoPassword);
  std::set<std::string> present;
  for (const auto& n : AllItems(c, "/api/v1/org/nodes?parent_id=5")) present.insert(std::string(n.at("code").as_string()));
  std::size_t missing = 0;
  for (const auto& code : acknowledged) missing += !present.contains(code);
  EXPECT_EQ(missing, 0u) << "of " << acked << " acknowledged writes";
  restarted.Kill(SIGTERM);
  auto check = RunLinli(st->With({"check"}));
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_NE(check.output.find("database integrity: ok"), std::string::npos) << check.output;
  EXPECT_NE(check.output.find("audit chain: intact"), std::string::npos) << check.output;
}

INSTANTIATE_TEST_SUITE_P(Backends, CrashTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace linli::testing
