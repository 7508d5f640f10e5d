#include "local_tool_stores.h"

#include <unistd.h>

#include <cerrno>
#include <utility>

#include "error_str.h"

namespace ucspi {
namespace {

constexpr const char* mysql_tool = "relay-mysql";

// relay-mysql is installed next to the tools; /proc/self/exe names the running binary
// whatever PATH or symlink started it.
std::string sibling_path(const char* name) {
  std::string self(4096, '\0');
  ssize_t n = ::readlink("/proc/self/exe", self.data(), self.size());
  if (n <= 0 || static_cast<std::size_t>(n) >= self.size())
    throw StoreError(std::string("unable to find ") + name + ": cannot read /proc/self/exe");
  self.resize(static_cast<std::size_t>(n));
  return self.substr(0, self.rfind('/') + 1) + name;
}

}  // namespace

LocalToolStores::LocalToolStores(std::string tool, int argc, char** argv)
    : tool_(std::move(tool)), args_(argv + (argc > 0 ? 1 : 0), argv + argc) {}

std::int64_t LocalToolStores::window(const StoreSpec& spec, std::optional<std::int64_t> requested) {
  if (spec.kind == StoreKind::mysql) hand_over();  // the default is in the MySQL config
  return requested.value_or(default_relay_window);
}

std::unique_ptr<RoamingAdmin> LocalToolStores::open_admin(const StoreSpec& spec) {
  if (spec.kind == StoreKind::mysql) hand_over();
  return open_local_admin(spec);
}

void LocalToolStores::hand_over() const {
  const std::string path = sibling_path(mysql_tool);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(mysql_tool));
  argv.push_back(const_cast<char*>(tool_.c_str()));
  for (const std::string& arg : args_) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  ::execv(path.c_str(), argv.data());
  throw StoreError("unable to run " + path + ": " + error_str(errno));
}

}  // namespace ucspi
