// The stores of relay-allow, relay-clear and relay-list: cdb: and relay-ctrl: in process; a
// mysql: store hands the whole run over to relay-mysql (see tool_stores.h).
#pragma once

#include <string>
#include <vector>

#include "tool_stores.h"

namespace ucspi {

class LocalToolStores final : public ToolStores {
 public:
  // tool: relay-mysql's name for this tool (allow, clear, list). argv is copied now, before
  // getopt permutes it, so relay-mysql gets the arguments exactly as given.
  LocalToolStores(std::string tool, int argc, char** argv);

  std::int64_t window(const StoreSpec& spec, std::optional<std::int64_t> requested) override;
  std::unique_ptr<RoamingAdmin> open_admin(const StoreSpec& spec) override;

 private:
  // Execs relay-mysql from this program's directory as `relay-mysql TOOL ARGS...`, with the
  // same environment. Returns only by throwing StoreError (the exec failed), which the tool
  // reports like any store failure: relay-allow still runs the login's program.
  [[noreturn]] void hand_over() const;

  std::string tool_;
  std::vector<std::string> args_;
};

}  // namespace ucspi
