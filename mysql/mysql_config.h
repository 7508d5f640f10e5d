// The classic -S patch's config file (/var/qmail/control/sql) and what it configures.
// Part of the library ucspi_mysql_config, which links neither Connector/C nor libevent, so
// the store factory can validate the file and read its `time` at tcpserver's startup and
// tcpserver still stay small.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ucspi {

struct MysqlConfig {
  std::string server = "localhost";
  unsigned port = 3306;
  std::string socket;  // unix socket path; when set it wins over server/port
  std::string database = "vpopmail";
  std::string table = "relay";  // identifier characters only: it cannot be a bind parameter
  std::string user;
  std::string pass;
  // The relay window in seconds, from the file's `time` tag; without one the store factory's
  // default applies (rules/roaming/store_factory.h), as for every store.
  std::optional<std::int64_t> time;
  unsigned connect_timeout_ms = 1000;
  unsigned query_timeout_ms = 1000;
};

// Reads the classic format: one `tag value` per line, whitespace-separated, tags
// case-insensitive, `#` comments; tags server port database table user pass time socket.
// Throws StoreError ("PATH: line N: ...") for an unreadable file, an unknown tag, a bad
// number, an invalid table name, or a missing user/pass.
MysqlConfig load_mysql_config(const std::string& path);

}  // namespace ucspi
