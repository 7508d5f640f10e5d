// The classic -S patch's config file, read strictly: where the patch skipped a bad line or
// carried on without a file (and so relayed for everyone), every problem here is a StoreError
// naming the file and line, raised at startup.
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "mysql_sql.h"
#include "mysql_store.h"

namespace ucspi {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

template <typename Number>
bool parse_number(std::string_view text, Number& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

class ConfigReader {
 public:
  explicit ConfigReader(std::string path) : path_(std::move(path)) {}

  MysqlConfig read() {
    std::ifstream in(path_);
    if (!in) throw StoreError("unable to read " + path_ + ": " + std::strerror(errno));
    std::string line;
    while (std::getline(in, line)) {
      ++line_number_;
      parse_line(line);
    }
    if (in.bad()) throw StoreError("unable to read " + path_ + ": " + std::strerror(errno));
    check_complete();
    return config_;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw StoreError(path_ + ": line " + std::to_string(line_number_) + ": " + what);
  }

  void parse_line(const std::string& line) {
    std::istringstream words(line);
    std::string tag, value, extra;
    // A word that starts with '#' starts a comment, so "pass se#cret" keeps its '#'.
    if (!(words >> tag) || tag[0] == '#') return;
    if (!(words >> value) || value[0] == '#') fail("tag `" + tag + "` has no value");
    if (words >> extra && extra[0] != '#') fail("expected `tag value`, found more after `" + value + "`");
    std::string key = lower(tag);
    if (!seen_.emplace(key, line_number_).second) {
      fail("duplicate tag `" + key + "` (first on line " + std::to_string(seen_[key]) + ")");
    }
    apply(key, tag, value);
  }

  void apply(const std::string& key, const std::string& tag, const std::string& value) {
    if (key == "server") {
      config_.server = value;
    } else if (key == "port") {
      if (!parse_number(value, config_.port) || config_.port == 0 || config_.port > 65535) {
        fail("port `" + value + "` is not a number from 1 to 65535");
      }
    } else if (key == "socket") {
      config_.socket = value;
    } else if (key == "database") {
      config_.database = value;
    } else if (key == "table") {
      if (!valid_table_name(value)) {
        fail("table `" + value + "` is not a plain identifier (letters, digits, _ and $)");
      }
      config_.table = value;
    } else if (key == "user") {
      config_.user = value;
    } else if (key == "pass") {
      config_.pass = value;
    } else if (key == "time") {
      if (!parse_number(value, config_.time) || config_.time <= 0) {
        fail("time `" + value + "` is not a positive number of seconds");
      }
    } else {
      fail("unknown tag `" + tag +
           "` (expected server, port, socket, database, table, user, pass or time)");
    }
  }

  void check_complete() const {
    // Without credentials the store could never answer: refuse now rather than log forever.
    for (const char* required : {"user", "pass"}) {
      if (!seen_.count(required)) {
        throw StoreError(path_ + ": no `" + std::string(required) + "` line");
      }
    }
  }

  std::string path_;
  MysqlConfig config_;
  std::map<std::string, int> seen_;
  int line_number_ = 0;
};

}  // namespace

MysqlConfig load_mysql_config(const std::string& path) { return ConfigReader(path).read(); }

}  // namespace ucspi
