#include "support/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/http_client.h"

namespace linli::testing {

const std::string& LinliBinary() {
  static const std::string path = LINLI_BINARY;  // set by tests/CMakeLists.txt
  return path;
}

namespace {
pid_t Spawn(const std::string& program, const std::vector<std::string>& args, int out_fd, int in_fd) {
  pid_t pid = fork();
  if (pid == 0) {
    // A server must not outlive a test binary that crashed or was killed by a timeout.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (in_fd >= 0) dup2(in_fd, 0);
    dup2(out_fd, 1);
    dup2(out_fd, 2);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(program.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}
}  // namespace

CommandResult RunLinli(const std::vector<std::string>& args, const std::string& stdin_text) {
  return RunProgram(LinliBinary(), args, stdin_text);
}

namespace {
// What the child wrote to `out_path` (removed), and how it ended.
CommandResult Collected(const char* out_path, int status) {
  std::ifstream in(out_path);
  std::stringstream ss;
  ss << in.rdbuf();
  unlink(out_path);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), ss.str()};
}
}  // namespace

CommandResult RunLinliKilledWhen(const std::vector<std::string>& args, const std::function<bool()>& kill_when,
                                 int signal) {
  char out_tmpl[] = "/tmp/linli-cmd-XXXXXX";
  int out_fd = mkstemp(out_tmpl);
  pid_t pid = Spawn(LinliBinary(), args, out_fd, -1);
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (kill_when()) {
      ::kill(pid, signal);
      waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  close(out_fd);
  return Collected(out_tmpl, status);
}

CommandResult RunProgram(const std::string& program, const std::vector<std::string>& args, const std::string& stdin_text) {
  char out_tmpl[] = "/tmp/linli-cmd-XXXXXX";
  int out_fd = mkstemp(out_tmpl);
  int pipe_fds[2] = {-1, -1};
  // Close-on-exec, so the child does not hold the write end open and waits forever for EOF.
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  pid_t pid = Spawn(program, args, out_fd, pipe_fds[0]);
  close(pipe_fds[0]);
  if (!stdin_text.empty()) (void)!write(pipe_fds[1], stdin_text.data(), stdin_text.size());
  close(pipe_fds[1]);
  int status = 0;
  waitpid(pid, &status, 0);
  close(out_fd);
  return Collected(out_tmpl, status);
}

ServerProcess::ServerProcess(std::vector<std::string> db_args, std::vector<std::string> serve_args)
    : db_args_(std::move(db_args)), serve_args_(std::move(serve_args)) {
  char tmpl[] = "/tmp/linli-serve-log-XXXXXX";
  int fd = mkstemp(tmpl);
  close(fd);
  log_path_ = tmpl;
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Kill(SIGKILL);
  // LINLI_TEST_SERVER_LOG=1 shows what the server said, for chasing a 500 in a failing test.
  if (std::getenv("LINLI_TEST_SERVER_LOG")) std::cerr << "---- server log " << log_path_ << " ----\n" << Log();
  unlink(log_path_.c_str());
}

std::string ServerProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void ServerProcess::Start() {
  std::vector<std::string> args = db_args_;
  args.push_back("serve");
  args.push_back("--listen");
  args.push_back("127.0.0.1:0");
  for (const auto& a : serve_args_) args.push_back(a);
  int fd = open(log_path_.c_str(), O_WRONLY | O_TRUNC | O_APPEND);
  pid_ = Spawn(LinliBinary(), args, fd, -1);
  close(fd);
  // The server logs the port it bound; then /readyz must answer.
  static const std::regex serving(R"(serving (https?)://127\.0\.0\.1:(\d+))");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("linli serve exited at start:\n" + Log());
    }
    std::smatch m;
    std::string log = Log();
    if (std::regex_search(log, m, serving)) {
      port_ = static_cast<std::uint16_t>(std::stoi(m[2]));
      if (m[1] == "https") return;  // logged once listening; this client speaks plain HTTP only
      HttpClient c{port_};
      if (c.Get("/readyz").status == 200) return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("linli serve did not become ready:\n" + Log());
}

void ServerProcess::Kill(int signal) {
  if (pid_ <= 0) return;
  ::kill(pid_, signal);
  WaitExit();
}

int ServerProcess::WaitExit() {
  if (pid_ > 0) {
    int status = 0;
    waitpid(pid_, &status, 0);
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    pid_ = -1;
  }
  return exit_status_;
}

}  // namespace linli::testing
