#include "tests/mysql/helper_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/mysql/db_support.h"

namespace ucspi::test {

namespace {

using Clock = std::chrono::steady_clock;

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// In the child after fork(): only async-signal-safe calls until exec.
[[noreturn]] void exec_child(const std::vector<std::string>& argv, int in, int out, int err) {
  if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(126);
  close_range(3, ~0U, 0);  // nothing but 0, 1 and 2, as tcpserver promises its helper
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  execv(args[0], args.data());
  _exit(127);
}

int exit_code_of(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }

int wait_for(pid_t pid, std::chrono::milliseconds limit) {
  auto end = Clock::now() + limit;
  for (;;) {
    int status = 0;
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) return exit_code_of(status);
    if (Clock::now() >= end) return -2;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

ProgramResult run_program(const std::vector<std::string>& argv) {
  const std::string out_path = unique_temp_path("out"), err_path = unique_temp_path("err");
  UniqueFd in(open("/dev/null", O_RDONLY | O_CLOEXEC));
  UniqueFd out(open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  UniqueFd err(open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  REQUIRE((in && out && err));
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) exec_child(argv, in.get(), out.get(), err.get());
  ProgramResult result;
  result.exit_code = wait_for(pid, std::chrono::seconds(20));
  if (result.exit_code == -2) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    FAIL(argv[0] << " did not exit within 20 s");
  }
  result.out = slurp(out_path);
  result.err = slurp(err_path);
  unlink(out_path.c_str());
  unlink(err_path.c_str());
  return result;
}

ServeProcess::ServeProcess(const std::string& config_path) : err_path_(unique_temp_path("serve-err")) {
  int pair[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0);
  socket_.reset(pair[0]);
  UniqueFd theirs(pair[1]);
  UniqueFd err(open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  REQUIRE(err);
  pid_ = fork();
  REQUIRE(pid_ >= 0);
  if (pid_ == 0) exec_child({UCSPI_RELAY_MYSQL, "serve", config_path}, theirs.get(), theirs.get(),
                            err.get());
}

ServeProcess::~ServeProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  unlink(err_path_.c_str());
}

void ServeProcess::send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(socket_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
    REQUIRE(n > 0);
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::vector<std::string> ServeProcess::replies(std::size_t count, std::chrono::milliseconds limit) {
  std::vector<std::string> got;
  auto end = Clock::now() + limit;
  std::string payload;
  for (;;) {
    NetstringReader::Status status = NetstringReader::Status::need_more;
    while (got.size() < count &&
           (status = reader_.next(payload)) == NetstringReader::Status::ready) {
      got.push_back(payload);
    }
    REQUIRE(status != NetstringReader::Status::malformed);
    if (got.size() == count) return got;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
    pollfd p{socket_.get(), POLLIN, 0};
    if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      FAIL("only " << got.size() << " of " << count << " replies within " << limit.count()
                   << " ms; stderr: " << errors());
    }
    char buffer[4096];
    ssize_t n = recv(socket_.get(), buffer, sizeof buffer, 0);
    if (n <= 0) FAIL("the helper closed after " << got.size() << " replies; stderr: " << errors());
    reader_.feed(std::string_view(buffer, static_cast<std::size_t>(n)));
  }
}

std::string ServeProcess::answer(std::string_view key, std::chrono::milliseconds limit) {
  ask(key);
  return replies(1, limit).front();
}

void ServeProcess::end_input() { REQUIRE(shutdown(socket_.get(), SHUT_WR) == 0); }

void ServeProcess::stop_listening() { REQUIRE(shutdown(socket_.get(), SHUT_RD) == 0); }

int ServeProcess::wait(std::chrono::milliseconds limit) {
  int code = wait_for(pid_, limit);
  if (code == -2) FAIL("relay-mysql serve still running after " << limit.count() << " ms");
  pid_ = -1;
  return code;
}

std::string ServeProcess::errors() const { return slurp(err_path_); }

}  // namespace ucspi::test
