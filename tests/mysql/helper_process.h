// Real processes for the tests of relay-mysql as tcpserver and the POP/IMAP chain use it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "rules/roaming/socketmap.h"
#include "rules/base/unique_fd.h"

namespace ucspi::test {

struct ProgramResult {
  int exit_code = -1;  // -1: killed by a signal
  std::string out;
  std::string err;
};

// Runs argv[0] (a path) to completion with stdin from /dev/null; fails the test after 20 s.
ProgramResult run_program(const std::vector<std::string>& argv);

// `relay-mysql serve CONFIG` started the way tcpserver starts it: one end of a stream
// socketpair as fd 0 and fd 1, stderr to a file of its own, and no other descriptor.
class ServeProcess {
 public:
  explicit ServeProcess(const std::string& config_path);
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  void send(std::string_view bytes);
  void ask(std::string_view key) { send(socketmap_request(relay_map, key)); }
  // The next `count` reply payloads; fails the test if they do not all arrive within `limit`.
  std::vector<std::string> replies(std::size_t count, std::chrono::milliseconds limit);
  // The reply to one request, asked now.
  std::string answer(std::string_view key,
                     std::chrono::milliseconds limit = std::chrono::milliseconds(3000));

  void end_input();       // shutdown(SHUT_WR): what it sees when tcpserver goes
  void stop_listening();  // shutdown(SHUT_RD): its replies can no longer be written
  // Its exit code; fails the test if it has not exited within `limit`.
  int wait(std::chrono::milliseconds limit = std::chrono::milliseconds(5000));
  std::string errors() const;  // its stderr so far
  pid_t pid() const { return pid_; }

 private:
  UniqueFd socket_;
  pid_t pid_ = -1;
  std::string err_path_;
  NetstringReader reader_{socketmap_max_payload};
};

}  // namespace ucspi::test
