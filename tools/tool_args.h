// What relay-allow, relay-clear and relay-list share on their command lines.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "store_spec.h"
#include "tool_stores.h"

namespace ucspi {

// The store named by -s, else by $RELAY_STORE; nullptr when neither is given.
const char* store_text(const char* option);

// A window in seconds: 1 to 10 decimal digits, not zero.
std::optional<std::int64_t> parse_seconds(std::string_view text);

// For relay-clear and relay-list: [-s STORE] [-w SECONDS], nothing else. Dies with the usage
// line (exit 100) on bad options, and "PROG: fatal: ..." (100 for a bad or missing store
// name, 111 when the store cannot be opened).
struct AdminArgs {
  StoreSpec spec;
  std::int64_t window;
};
AdminArgs parse_admin_args(int argc, char** argv, ToolStores& stores, std::string_view prog,
                           std::string_view usage);

// Seconds since 1970 now.
std::int64_t unix_now();

}  // namespace ucspi
