// Runs the real `linli` binary as a child process for tests: `linli serve` on a free loopback
// port, or any other subcommand to completion.
#pragma once

#include <sys/types.h>

#include <csignal>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace linli::testing {

const std::string& LinliBinary();

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};
// Runs `linli <args>` with --data-dir/--db set for this database and waits for it.
CommandResult RunLinli(const std::vector<std::string>& args, const std::string& stdin_text = "");
// Runs `linli <args>` and sends it `signal` as soon as `kill_when()` holds (asked every 5 ms while
// it runs): the exit code says whether it ended first (128 + the signal if not).
CommandResult RunLinliKilledWhen(const std::vector<std::string>& args, const std::function<bool()>& kill_when,
                                 int signal = SIGKILL);
// Runs any program (found on PATH) the same way: xmllint, python3.
CommandResult RunProgram(const std::string& program, const std::vector<std::string>& args,
                         const std::string& stdin_text = "");

class ServerProcess {
 public:
  // `db_args` are the global flags naming the database (e.g. {"--db", url}).
  ServerProcess(std::vector<std::string> db_args, std::vector<std::string> serve_args = {});
  ~ServerProcess();

  void Start();                  // returns once /readyz answers 200
  void Kill(int signal);         // sends the signal and waits for the process to end
  int WaitExit();                // exit status after a signal
  bool Running() const { return pid_ > 0; }
  std::uint16_t port() const { return port_; }
  std::string Log() const;

 private:
  std::vector<std::string> db_args_;
  std::vector<std::string> serve_args_;
  std::string log_path_;
  pid_t pid_ = -1;
  int exit_status_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace linli::testing
