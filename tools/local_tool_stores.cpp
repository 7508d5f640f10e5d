#include "tools/local_tool_stores.h"

#include <unistd.h>

#include <cerrno>
#include <utility>

#include "rules/base/error_str.h"
#include "rules/roaming/store_factory.h"
#include "tools/helper_recorder.h"

namespace ucspi {

LocalToolStores::LocalToolStores(std::string tool, int argc, char** argv)
    : tool_(std::move(tool)), args_(argv + (argc > 0 ? 1 : 0), argv + argc) {}

std::unique_ptr<RoamingAdmin> LocalToolStores::open_admin(const StoreSpec& spec) {
  StoreWriter writer = open_store_writer(spec);
  // relay-allow runs the login after recording: the helper records in a child, so that the
  // login never depends on it (helper_recorder.h).
  if (writer.admin || tool_ == "allow") return open_recorder(std::move(writer), spec);
  hand_over(writer.program);
}

void LocalToolStores::hand_over(const std::string& program) const {
  const std::string path = helper_path(program);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  argv.push_back(const_cast<char*>(tool_.c_str()));
  for (const std::string& arg : args_) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  ::execv(path.c_str(), argv.data());
  throw StoreError("unable to run " + path + ": " + error_str(errno));
}

}  // namespace ucspi
