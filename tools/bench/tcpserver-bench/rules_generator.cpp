#include "tools/bench/tcpserver-bench/rules_generator.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace ucspi::bench {
namespace {

class LineMaker {
 public:
  explicit LineMaker(unsigned seed) : rng_(seed) {}

  std::string line() {
    // Shares of the lines: exact addresses most, then the other kinds a big site's file has.
    static constexpr std::array<unsigned, 9> shares = {40, 10, 5, 8, 10, 5, 10, 6, 6};
    std::discrete_distribution<unsigned> kind(shares.begin(), shares.end());
    switch (kind(rng_)) {
      case 0: return dotted(4) + ":allow" + variables(true);
      case 1: return dotted(3) + ".:" + (below(2) ? "allow" : "deny") + variables(true);
      case 2: return dotted(2) + ".:deny";
      case 3: return range() + ":allow" + variables(true);
      case 4:
        return "=mail" + number(1000000) + ".example" + number(1000) + ".com:allow" + variables(true);
      case 5: return "=.spammer" + number(100000) + ".example:deny";
      case 6: return "user" + number(10000) + "@" + dotted(4) + ":allow" + variables(true);
      case 7: return "# note " + number(1000000000) + ": why this host is listed";
      default: return "";
    }
  }

  // Last: relaying for everyone would make an open relay, which ours warns of on stderr.
  std::string catch_all() { return ":allow" + variables(false); }

 private:
  unsigned long below(unsigned long n) {
    return std::uniform_int_distribution<unsigned long>(0, n - 1)(rng_);
  }
  std::string number(unsigned long n) { return std::to_string(below(n)); }

  std::string dotted(int parts) {
    std::string out = number(256);
    for (int i = 1; i < parts; ++i) out += "." + number(256);
    return out;
  }

  std::string range() {
    const unsigned long low = below(250);
    return dotted(3) + "." + std::to_string(low) + "-" + std::to_string(low + 1 + below(7));
  }

  // One to four instructions, the kind qmail sites put in tcp.smtp.
  std::string variables(bool relay_ok) {
    std::vector<std::string_view> pool = {
        R"(RBLSMTPD="")", R"(QMAILQUEUE="/var/qmail/bin/qmail-scanner-queue")",
        R"(DATABYTES="20000000")", R"(SMTPAUTH="1")", R"(CHKUSER_RCPTLIMIT="50")",
        R"(HELOCHECK="/x/")", "GREETDELAY='5'", R"(RBLSMTPD="-blocked, see http://x.example/")"};
    if (relay_ok) pool.push_back(R"(RELAYCLIENT="")");
    std::shuffle(pool.begin(), pool.end(), rng_);
    std::string out;
    for (std::size_t i = 0, n = 1 + below(4); i < n; ++i) out += "," + std::string(pool[i]);
    return out;
  }

  std::mt19937_64 rng_;
};

}  // namespace

void write_rules_file(const std::string& path, unsigned long lines, unsigned seed) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  LineMaker maker(seed);
  for (unsigned long n = 1; n < lines; ++n) out << maker.line() << '\n';
  out << maker.catch_all() << '\n';
  if (!out.flush()) throw std::runtime_error("unable to write " + path);
}

}  // namespace ucspi::bench
