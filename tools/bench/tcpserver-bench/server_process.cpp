#include "tools/bench/tcpserver-bench/server_process.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "rules/base/error_str.h"
#include "rules/base/unique_fd.h"
#include "tools/bench/tcpserver-bench/ceiling_server.h"

namespace ucspi::bench {
namespace {

// No resolver is ever asked (-H, -R, -l NAME); should one be, it asks this machine.
const std::vector<std::string> server_env = {"PATH=/usr/bin:/bin", "DNSCACHEIP=127.0.0.1"};

UniqueFd open_or_throw(const std::string& path, int flags) {
  UniqueFd fd(open(path.c_str(), flags | O_CLOEXEC, 0644));
  if (!fd) throw std::runtime_error("unable to open " + path + ": " + error_str(errno));
  return fd;
}

std::string log_tail(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  if (s.size() > 400) s = "..." + s.substr(s.size() - 400);
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s.empty() ? "(its log is empty)" : "its log: " + s;
}

// tcpserver -1 prints the port it bound, then a newline, once it listens.
unsigned read_port(int fd, std::chrono::milliseconds timeout) {
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (line.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return 0;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[64];
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return 0;
    line.append(buf, static_cast<std::size_t>(n));
  }
  const unsigned long port = std::strtoul(line.c_str(), nullptr, 10);
  return port > 0 && port <= 65535 ? static_cast<unsigned>(port) : 0;
}

long status_field_kib(const std::string& status, const std::string& field) {
  const auto at = status.find("\n" + field + ":");
  return at == std::string::npos ? 0 : std::strtol(status.c_str() + at + field.size() + 2, nullptr, 10);
}

std::string log_path(const ServerSpec& spec, const std::string& workdir) {
  return workdir + "/" + spec.label + ".log";
}

}  // namespace

ServerProcess::ServerProcess(const ServerSpec& spec, const std::string& workdir)
    : ServerProcess(spec, workdir, MayFail{}) {
  if (port_ == 0)
    throw std::runtime_error(spec.label + " (" + spec.argv[0] + ") did not start listening; " +
                             log_tail(log_path(spec, workdir)));
}

std::optional<ServerProcess> ServerProcess::start_if_it_can(const ServerSpec& spec,
                                                            const std::string& workdir) {
  ServerProcess server(spec, workdir, MayFail{});
  if (server.port_ == 0) return std::nullopt;  // its destructor stops what is left of it
  return server;
}

ServerProcess::ServerProcess(const ServerSpec& spec, const std::string& workdir, MayFail)
    : label_(spec.label) {
  const UniqueFd log = open_or_throw(log_path(spec, workdir), O_WRONLY | O_CREAT | O_TRUNC);
  const UniqueFd null = open_or_throw("/dev/null", O_RDWR);
  if (spec.argv.empty()) {
    const Listener listener = listen_on_loopback(spec.backlog);
    process_ = ChildProcess::fork_function([&] { serve_ceiling(listener, spec.child); },
                                           {null.get(), null.get(), log.get()});
    port_ = listener.port;
    return;
  }
  int ends[2];
  if (pipe2(ends, O_CLOEXEC) == -1) throw std::runtime_error(std::string("pipe: ") + error_str(errno));
  UniqueFd port_in(ends[0]);
  UniqueFd port_out(ends[1]);
  process_ = ChildProcess::spawn(spec.argv, server_env, {null.get(), port_out.get(), log.get()},
                                 workdir, spec.memory_limit);
  port_out.reset();  // so that a server that dies is an EOF here
  port_ = read_port(port_in.get(), std::chrono::seconds(10));
}

bool ServerProcess::exited() {
  int status = 0;
  return !process_.running() || process_.wait_for(std::chrono::milliseconds(0), status);
}

Memory ServerProcess::memory() const {
  std::ifstream in("/proc/" + std::to_string(process_.pid()) + "/status");
  std::stringstream text;
  text << "\n" << in.rdbuf();
  std::error_code gone;  // the process has exited: no descriptors
  long fds = 0;
  for (auto it = std::filesystem::directory_iterator(
           "/proc/" + std::to_string(process_.pid()) + "/fd", gone);
       !gone && it != std::filesystem::directory_iterator(); it.increment(gone))
    ++fds;
  return {status_field_kib(text.str(), "VmRSS"), status_field_kib(text.str(), "VmSize"), fds};
}

}  // namespace ucspi::bench
