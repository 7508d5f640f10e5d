#include "tools/bench/tcpserver-bench/bench_files.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "rules/base/error_str.h"
#include "rules/base/unique_fd.h"
#include "rules/roaming/roaming_cdb_file.h"
#include "rules/roaming/roaming_store.h"
#include "tools/bench/bench_addresses.h"
#include "tools/bench/tcpserver-bench/child_process.h"

namespace ucspi::bench {
namespace {

// A small tcp.smtp of the kind qmail and vpopmail sites run: relaying for local nets, a few
// blocked senders, a default allow. The bench's client, 127.0.0.1, matches `127.` after
// three lookups that miss, as a real client would.
constexpr std::string_view tcp_smtp = R"(# relay for ourselves and the office
127.:allow,RELAYCLIENT=""
10.0.0.:allow,RELAYCLIENT=""
192.168.1.:allow,RELAYCLIENT=""
172.16.5.10-20:allow,RELAYCLIENT=""
# known abusers
203.0.113.:deny
198.51.100.7:deny
=.spam.example.:deny
# slow down a noisy relay
192.0.2.15:allow,RBLSMTPD="-slow down",QMAILQUEUE="/var/qmail/bin/qmail-queue"
:allow
)";

// The same site for roaming users: 127.0.0.1 is allowed but not let relay by a rule, so every
// connection asks the store.
constexpr std::string_view tcp_smtp_roaming = R"(10.0.0.:allow,RELAYCLIENT=""
192.168.1.:allow,RELAYCLIENT=""
172.16.5.10-20:allow,RELAYCLIENT=""
203.0.113.:deny
198.51.100.7:deny
=.spam.example.:deny
192.0.2.15:allow,RBLSMTPD="-slow down",QMAILQUEUE="/var/qmail/bin/qmail-queue"
127.:allow
:allow
)";

// As few rules as a run file can have, none with RELAYCLIENT: the softlimit scenario's, whose
// floor is the server's own and not the rules'.
constexpr std::string_view tcp_tiny = "127.0.0.2:deny\n:allow\n";

constexpr int store_entries = 10000;

void write_text(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) throw std::runtime_error("unable to write " + path);
}

std::string compile_rules(const std::string& dir, const std::string& name, std::string_view text,
                          const std::string& tcprules) {
  const std::string source = dir + "/" + name + ".txt";
  const std::string cdb = dir + "/" + name + ".cdb";
  write_text(source, text);
  run_to_completion({tcprules, cdb, cdb + ".tmp"}, source, dir, std::chrono::seconds(30));
  return cdb;
}

// Logins of a moment ago, so that every entry relays; 127.0.0.1's among 9,999 others.
std::string make_store(const std::string& dir) {
  const std::string path = dir + "/relay.cdb";
  const std::int64_t now = std::time(nullptr);
  try {
    write_roaming_cdb(path, [&](const AddEntry& add) {
      add("127.0.0.1", now);
      for (int n = 1; n < store_entries; ++n)
        add(bench_ip(n), now);
    });
  } catch (const StoreError& e) {
    throw std::runtime_error(e.what());
  }
  return "cdb:" + path;
}

// relay-ctrl's directory holding the same logins: an empty file per address, named by it, whose
// mtime (now) is the login's time (rules/roaming/relay_ctrl_store.h).
std::string make_relay_ctrl_store(const std::string& dir) {
  const std::string store = dir + "/relay-ctrl";
  if (::mkdir(store.c_str(), 0755) != 0)
    throw std::runtime_error("unable to create " + store + ": " + error_str(errno));
  auto touch = [&](const std::string& ip) {
    const std::string path = store + "/" + ip;
    const UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd) throw std::runtime_error("unable to create " + path + ": " + error_str(errno));
  };
  touch("127.0.0.1");
  for (int n = 1; n < store_entries; ++n) touch(bench_ip(n));
  return "relay-ctrl:" + store;
}

}  // namespace

WorkDir::WorkDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/tcpserver-bench.XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  if (!mkdtemp(name.data()))
    throw std::runtime_error("unable to create a directory like " + pattern + ": " + error_str(errno));
  path_ = name.data();
  on_signal_ = std::make_unique<SignalCleanup>(std::vector<std::string>{"/bin/rm", "-rf", "--", path_});
}

WorkDir::~WorkDir() {
  std::error_code ignored;  // a directory left behind in /tmp is no reason to fail a run
  std::filesystem::remove_all(path_, ignored);
}

BenchFiles prepare_files(const std::string& dir, const std::string& tcprules) {
  BenchFiles f;
  f.rules_cdb = compile_rules(dir, "rules", tcp_smtp, tcprules);
  f.store_rules_cdb = compile_rules(dir, "rules-roaming", tcp_smtp_roaming, tcprules);
  f.tiny_rules_cdb = compile_rules(dir, "rules-tiny", tcp_tiny, tcprules);
  f.store_spec = make_store(dir);
  f.relay_ctrl_spec = make_relay_ctrl_store(dir);
  return f;
}

}  // namespace ucspi::bench
