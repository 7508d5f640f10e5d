// relay-allow's way to a store that only a helper program can write (mysql: through
// relay-mysql): the helper records in a child, and relay-allow waits for it and then runs the
// login itself. Handing the whole run over (exec), as relay-clear and relay-list do, would put
// the login at the helper's mercy: under the softlimit of a POP run file (3 MB in qmail's) the
// MySQL client library cannot even be loaded, and a helper that dies at load takes the login
// with it.
#pragma once

#include <memory>
#include <string>

#include "rules/roaming/roaming_store.h"
#include "rules/roaming/store_factory.h"
#include "rules/roaming/store_spec.h"

namespace ucspi {

// record(ip, now) runs `PROGRAM allow -s STORE -i IP` from path (the helper takes its own
// clock) and throws StoreError when it does not exit 0, saying how it ended; its own messages
// go to stderr as they are. list() and expire() throw StoreError: relay-allow only records.
std::unique_ptr<RoamingAdmin> make_helper_recorder(std::string path, std::string program,
                                                   const StoreSpec& spec);

// program's path beside this program's (the helpers are installed together); throws
// StoreError when /proc/self/exe cannot be read.
std::string helper_path(const std::string& program);

// What records a login into spec's store, for relay-allow and relay-watch: the store itself
// when it can be written in process (writer.admin), else its program in a child.
std::unique_ptr<RoamingAdmin> open_recorder(StoreWriter writer, const StoreSpec& spec);

}  // namespace ucspi
