// The stores of relay-allow, relay-clear, relay-list and relay-import: the ones the factory can
// open in process (cdb:, relay-ctrl:); for the others (mysql:) the whole run is handed over to
// the program the factory names (relay-mysql), with the same arguments (see tool_stores.h),
// except relay-allow's: there the program records in a child (helper_recorder.h).
#pragma once

#include <string>
#include <vector>

#include "tools/tool_stores.h"

namespace ucspi {

class LocalToolStores final : public ToolStores {
 public:
  // tool: the program's name for this tool (allow, clear, list, import). argv is copied now,
  // before getopt permutes it, so the program gets the arguments exactly as given.
  LocalToolStores(std::string tool, int argc, char** argv);

  std::unique_ptr<RoamingAdmin> open_admin(const StoreSpec& spec) override;

 private:
  // Execs program from this program's directory as `PROGRAM TOOL ARGS...`, with the same
  // environment. Returns only by throwing StoreError (the exec failed), which the tool
  // reports like any store failure: relay-allow still runs the login's program.
  [[noreturn]] void hand_over(const std::string& program) const;

  std::string tool_;
  std::vector<std::string> args_;
};

}  // namespace ucspi
