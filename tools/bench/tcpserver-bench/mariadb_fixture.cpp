#include "tools/bench/tcpserver-bench/mariadb_fixture.h"

#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "rules/base/messages.h"
#include "tools/bench/bench_addresses.h"
#include "tools/bench/tcpserver-bench/child_process.h"

namespace ucspi::bench {
namespace {

constexpr int relay_entries = 10000;

// The value of "tag VALUE" in one of the fixture's configs.
std::string conf_value(const std::string& path, const std::string& tag) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key, value;
    if (words >> key >> value && key == tag) return value;
  }
  throw std::runtime_error("no " + tag + " in " + path);
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out.flush()) throw std::runtime_error("unable to write " + path);
}

void run_fixture(const std::string& script, const std::string& action, const std::string& dir) {
  run_to_completion({"/bin/bash", script, action, dir}, "", dir, std::chrono::seconds(180));
}

}  // namespace

MariadbFixture::MariadbFixture(const std::string& fixture_script, const std::string& dir)
    : script_(fixture_script), dir_(dir), on_signal_({"/bin/bash", script_, "stop", dir_}) {
  if (access(script_.c_str(), R_OK) != 0)
    throw std::runtime_error("the MariaDB fixture " + script_ + " is not there (--mariadb-fixture)");
  std::filesystem::create_directories(dir_);  // the fixture runs in it
  try {
    run_fixture(script_, "start", dir_);
  } catch (const std::runtime_error& e) {
    stop_quietly();  // what a half start left running
    throw std::runtime_error(std::string("the mysql scenarios need MariaDB (apt-get install "
                                         "mariadb-server), and it did not start: ") + e.what() +
                             "; the fixture's own message is above");
  }
  conf_ = dir_ + "/sql.conf";
  port_ = static_cast<unsigned>(std::stoul(conf_value(conf_, "port")));
}

MariadbFixture::~MariadbFixture() { stop_quietly(); }

// A failed stop is no reason to lose the figures; the fixture said why on stderr.
void MariadbFixture::stop_quietly() noexcept {
  try {
    run_fixture(script_, "stop", dir_);
  } catch (const std::exception& e) {
    print_line({"tcpserver-bench: warning: stopping MariaDB: ", e.what()});
  }
}

void seed_relay_table(const MariadbFixture& db, const std::string& relay_allow) {
  const std::string& dir = db.dir();
  run_to_completion({relay_allow, "-s", "mysql:" + db.conf(), "-i", "127.0.0.1"}, "", dir,
                    std::chrono::seconds(30));
  const std::string now = std::to_string(std::time(nullptr));
  std::string sql = "REPLACE INTO relay (ip_addr, timestamp) VALUES ('127.0.0.1'," + now + ")";
  for (int n = 1; n < relay_entries; ++n)
    sql += ",('" + bench_ip(n) + "'," + now + ")";
  const std::string sql_path = dir + "/seed.sql";
  write_text(sql_path, sql + ";\n");
  const auto client = find_program("mariadb");
  if (!client)
    throw std::runtime_error("mariadb (the client) is not on PATH: apt-get install mariadb-client");
  const std::string socket = conf_value(dir + "/sql-socket.conf", "socket");
  run_to_completion({*client, "--no-defaults", "--socket=" + socket, "-uroot", "vpopmail"}, sql_path,
                    dir, std::chrono::seconds(60));
}

std::string redirected_conf(const MariadbFixture& db, unsigned port, const std::string& path) {
  std::ifstream in(db.conf());
  std::string line, text;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key;
    words >> key;
    if (key != "server" && key != "port" && key != "socket") text += line + "\n";
  }
  write_text(path, text + "server 127.0.0.1\nport " + std::to_string(port) + "\n");
  return path;
}

}  // namespace ucspi::bench
