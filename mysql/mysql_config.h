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

  // The primary, when this file's server is a read-only replica of it
  // (doc/guides/replicated-roaming.md). No primary_server and no primary_socket = no primary:
  // the single-server store, unchanged. user and pass stand for primary_user and primary_pass
  // when those are not given.
  std::string primary_server;
  unsigned primary_port = 3306;
  std::string primary_socket;
  std::optional<std::string> primary_user;
  std::optional<std::string> primary_pass;
  // A replica reporting Seconds_Behind_Master above this is not trusted with a miss.
  unsigned max_lag = 2;
};

bool has_primary(const MysqlConfig& config);
// The same store as seen on the primary: its address and credentials, no primary of its own.
// Requires has_primary(config).
MysqlConfig primary_of(const MysqlConfig& config);
// Where the writers (relay-allow, relay-clear, relay-import) go: the primary when there is one
// (a replica is read-only), else the one server.
MysqlConfig writer_config(const MysqlConfig& config);

// Reads the classic format: one `tag value` per line, whitespace-separated, tags
// case-insensitive, `#` comments; tags server port database table user pass time socket, and
// for a replica primary_server primary_port primary_socket primary_user primary_pass max_lag.
// Throws StoreError ("PATH: line N: ...") for an unreadable file, an unknown tag, a bad
// number, an invalid table name, a missing user/pass, or a primary_* or max_lag tag without
// primary_server or primary_socket.
MysqlConfig load_mysql_config(const std::string& path);

}  // namespace ucspi
