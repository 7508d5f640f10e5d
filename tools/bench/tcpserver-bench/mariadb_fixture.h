// The MariaDB the mysql scenarios ask: a private one, started by the project's test fixture
// (tests/support/mariadb-fixture.sh) in a directory of the harness's, stopped by the
// destructor whatever ends the run. Its relay table is made by our relay-allow, as a site's
// would be, and holds 10,000 fresh entries, 127.0.0.1 among them, like the cdb store's.
#pragma once

#include <string>

#include "tools/bench/tcpserver-bench/signal_cleanup.h"

namespace ucspi::bench {

class MariadbFixture {
 public:
  // Throws std::runtime_error, saying what to install, when MariaDB is not there or does not
  // start: the scenarios that need it fail, they are never skipped.
  MariadbFixture(const std::string& fixture_script, const std::string& dir);
  MariadbFixture(const MariadbFixture&) = delete;
  MariadbFixture& operator=(const MariadbFixture&) = delete;
  ~MariadbFixture();

  const std::string& conf() const { return conf_; }  // the store's config, over TCP
  unsigned port() const { return port_; }
  const std::string& dir() const { return dir_; }

 private:
  void stop_quietly() noexcept;

  std::string script_;
  std::string dir_;
  SignalCleanup on_signal_;  // the fixture's stop, when a signal skips the destructor
  std::string conf_;
  unsigned port_ = 0;
};

// Creates the relay table with relay_allow (-s mysql:CONF -i 127.0.0.1), then fills it
// through the mariadb client (one statement from a file in db's directory).
// Throws std::runtime_error.
void seed_relay_table(const MariadbFixture& db, const std::string& relay_allow);

// A copy of db's config at path that connects to 127.0.0.1:port instead. Returns path.
std::string redirected_conf(const MariadbFixture& db, unsigned port, const std::string& path);

}  // namespace ucspi::bench
