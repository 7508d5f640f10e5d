// The classic -S patch's config file, read strictly: where the patch skipped a bad line or
// carried on without a file (and so relayed for everyone), every problem here is a StoreError
// naming the file and line, raised at startup.
//
// No iostreams: tcpserver links this parser statically and must fit in 3 MB of address
// space, and <fstream>/<sstream> drag in the locale machinery.
#include "mysql/mysql_config.h"

#include <charconv>
#include <map>
#include <string_view>
#include <vector>

#include "mysql/mysql_sql.h"
#include "rules/base/read_regular_file.h"
#include "rules/roaming/roaming_store.h"

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

// What sscanf's "%s" skips: the classic format separates with any run of these.
bool blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

std::vector<std::string_view> words_of(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && blank(line[i])) ++i;
    std::size_t start = i;
    while (i < line.size() && !blank(line[i])) ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

// A FIFO at the path must not hold tcpserver (already bound) or a login: read_regular_file
// refuses it without waiting.
std::string read_whole_file(const std::string& path) {
  std::string text;
  if (std::string problem = read_regular_file(path, text); !problem.empty())
    throw StoreError("unable to read " + path + ": " + problem);
  return text;
}

class ConfigReader {
 public:
  explicit ConfigReader(std::string path) : path_(std::move(path)) {}

  MysqlConfig read() {
    const std::string text = read_whole_file(path_);
    std::string_view rest = text;
    while (!rest.empty()) {
      std::size_t end = rest.find('\n');
      std::string_view line = rest.substr(0, end);
      rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
      ++line_number_;
      parse_line(line);
    }
    check_complete();
    return config_;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw StoreError(path_ + ": line " + std::to_string(line_number_) + ": " + what);
  }

  void parse_line(std::string_view line) {
    std::vector<std::string_view> words = words_of(line);
    // A word that starts with '#' starts a comment, so "pass se#cret" keeps its '#'.
    for (std::size_t i = 0; i < words.size(); ++i) {
      if (words[i][0] == '#') words.resize(i);
    }
    if (words.empty()) return;
    const std::string tag(words[0]);
    if (words.size() == 1) fail("tag `" + tag + "` has no value");
    const std::string value(words[1]);
    if (words.size() > 2) fail("expected `tag value`, found more after `" + value + "`");
    std::string key = lower(tag);
    if (!seen_.emplace(key, line_number_).second) {
      fail("duplicate tag `" + key + "` (first on line " + std::to_string(seen_[key]) + ")");
    }
    apply(key, tag, value);
  }

  void parse_port(const std::string& key, const std::string& value, unsigned& port) {
    if (!parse_number(value, port) || port == 0 || port > 65535) {
      fail(key + " `" + value + "` is not a number from 1 to 65535");
    }
  }

  void apply(const std::string& key, const std::string& tag, const std::string& value) {
    if (key == "server") {
      config_.server = value;
    } else if (key == "port") {
      parse_port(key, value, config_.port);
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
      std::int64_t seconds = 0;
      if (parse_number(value, seconds) && seconds > 0) {
        config_.time = seconds;
      } else {
        fail("time `" + value + "` is not a positive number of seconds");
      }
    } else if (!apply_primary(key, value)) {
      fail("unknown tag `" + tag +
           "` (expected server, port, socket, database, table, user, pass, time, "
           "primary_server, primary_port, primary_socket, primary_user, primary_pass or "
           "max_lag)");
    }
  }

  // The replicated layout's tags; false for a tag that is not one of them.
  bool apply_primary(const std::string& key, const std::string& value) {
    if (key == "primary_server") {
      config_.primary_server = value;
    } else if (key == "primary_port") {
      parse_port(key, value, config_.primary_port);
    } else if (key == "primary_socket") {
      config_.primary_socket = value;
    } else if (key == "primary_user") {
      config_.primary_user = value;
    } else if (key == "primary_pass") {
      config_.primary_pass = value;
    } else if (key == "max_lag") {
      if (!parse_number(value, config_.max_lag) || config_.max_lag > 3600) {
        fail("max_lag `" + value + "` is not a number of seconds from 0 to 3600");
      }
    } else {
      return false;
    }
    return true;
  }

  void check_complete() const {
    // Without credentials the store could never answer: refuse now rather than log forever.
    for (const char* required : {"user", "pass"}) {
      if (!seen_.count(required)) {
        throw StoreError(path_ + ": no `" + std::string(required) + "` line");
      }
    }
    // A primary_user or max_lag alone would silently mean nothing: say so.
    if (has_primary(config_)) return;
    for (const char* tag : {"primary_port", "primary_user", "primary_pass", "max_lag"}) {
      if (seen_.count(tag)) {
        throw StoreError(path_ + ": line " + std::to_string(seen_.at(tag)) + ": `" + tag +
                         "` without primary_server or primary_socket");
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

bool has_primary(const MysqlConfig& config) {
  return !config.primary_server.empty() || !config.primary_socket.empty();
}

MysqlConfig primary_of(const MysqlConfig& config) {
  MysqlConfig primary = config;
  primary.server = config.primary_server.empty() ? "localhost" : config.primary_server;
  primary.port = config.primary_port;
  primary.socket = config.primary_socket;
  primary.user = config.primary_user.value_or(config.user);
  primary.pass = config.primary_pass.value_or(config.pass);
  primary.primary_server.clear();
  primary.primary_socket.clear();
  primary.primary_user.reset();
  primary.primary_pass.reset();
  return primary;
}

MysqlConfig writer_config(const MysqlConfig& config) {
  return has_primary(config) ? primary_of(config) : config;
}

}  // namespace ucspi
