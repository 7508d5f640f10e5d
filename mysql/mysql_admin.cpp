// The tools' side (relay-allow, relay-clear, relay-list): one blocking connection, opened on
// first use so a tool that only execs on (relay-allow) is not held up by a dead server before
// it needs it, and bounded by the connect/read/write timeouts set in new_mysql_handle.
#include <mysql.h>
#include <mysqld_error.h>

#include "mysql/ip_column_query.h"
#include "mysql/mysql_connect.h"
#include "mysql/mysql_sql.h"
#include "mysql/mysql_statement.h"
#include "mysql/mysql_store.h"
#include "rules/base/ip_address.h"

namespace ucspi {

namespace {

// Whatever the server's sql_mode, a value too long for its column must be an error
// (ER_DATA_TOO_LONG), never a row cut short that matches some other address.
void make_session_strict(MYSQL* mysql) {
  static constexpr std::string_view sql =
      "SET SESSION sql_mode = TRIM(BOTH ',' FROM CONCAT(@@SESSION.sql_mode, ',STRICT_ALL_TABLES'))";
  if (mysql_real_query(mysql, sql.data(), sql.size()) != 0) {
    throw StoreError("mysql setting a strict sql_mode: " + std::string(mysql_error(mysql)));
  }
}

bool ip_column_too_narrow(const StatementError& e) {
  return e.code() == ER_DATA_TOO_LONG &&
         std::string_view(e.what()).find("'ip_addr'") != std::string_view::npos;
}

// InnoDB may choose one of two writers as a deadlock's victim (relay-clear's scan beside
// another host's relay-clear or a login, every host writing to one primary); its transaction
// is rolled back whole, so the statement is simply run once more. A login must not be lost to
// the store's own locking.
template <typename Write>
std::uint64_t retried_after_deadlock(Write write) {
  try {
    return write();
  } catch (const StatementError& e) {
    if (e.code() != ER_LOCK_DEADLOCK) throw;
  }
  return write();
}

class MysqlAdmin final : public RoamingAdmin {
 public:
  explicit MysqlAdmin(MysqlConfig config) : config_(std::move(config)) {}

  void record(const std::string& ip, std::int64_t now) override {
    std::optional<std::string> key = canonical_ip_text(ip);
    if (!key) throw StoreError("mysql record: not an IP address: " + ip);
    guarded([&] {
      ensure_table();
      try {
        retried_after_deadlock([&] {
          return Statement(connection(), record_sql(config_.table), "record")
              .bind(*key)
              .bind(now)
              .execute();
        });
      } catch (const StatementError& e) {
        if (!ip_column_too_narrow(e)) throw;
        std::optional<IpColumn> column = read_ip_column(connection(), config_.table);
        throw StoreError("mysql record: " + *key + " does not fit: " +
                         narrow_ip_column_text(config_.table, column.value_or(IpColumn{"?", {}})));
      }
    });
  }

  std::vector<RoamingEntry> list() override {
    std::vector<RoamingEntry> entries;
    guarded([&] {
      std::string sql = list_sql(config_.table);
      MYSQL* mysql = connection();
      if (mysql_real_query(mysql, sql.data(), sql.size()) != 0) {
        if (mysql_errno(mysql) == ER_NO_SUCH_TABLE) return;  // nobody has logged in yet
        throw StoreError("mysql list: " + std::string(mysql_error(mysql)));
      }
      MysqlResultPtr result(mysql_store_result(mysql));
      if (!result) throw StoreError("mysql list: " + std::string(mysql_error(mysql)));
      while (MYSQL_ROW row = mysql_fetch_row(result.get())) {
        RoamingEntry entry{row[0] ? row[0] : "", std::nullopt};
        if (row[1]) {
          entry.last_login = parse_stamp(row[1]);
          if (!entry.last_login) continue;  // broken: neither a time nor permanent
        }
        entries.push_back(std::move(entry));
      }
    });
    return entries;
  }

  std::size_t expire(std::int64_t cutoff) override {
    std::size_t removed = 0;
    guarded([&] {
      try {
        removed = retried_after_deadlock([&] {
          return Statement(connection(), expire_sql(config_.table), "expire").bind(cutoff).execute();
        });
      } catch (const StatementError& e) {
        if (e.code() == ER_NO_SUCH_TABLE) return;  // nothing to expire
        throw;
      }
    });
    return removed;
  }

 private:
  MYSQL* connection() {
    if (!conn_) {
      MysqlPtr fresh = connect_blocking(config_);
      make_session_strict(fresh.get());
      conn_ = std::move(fresh);
    }
    return conn_.get();
  }

  // vpopmail's tools create the table on first use; do the same, once per connection.
  void ensure_table() {
    if (table_ready_) return;
    std::string sql = create_table_sql(config_.table);
    MYSQL* mysql = connection();
    if (mysql_real_query(mysql, sql.data(), sql.size()) != 0) {
      throw StoreError("mysql create table " + config_.table + ": " + mysql_error(mysql));
    }
    table_ready_ = true;
  }

  // After any failure the connection may be half-used or dead: drop it so the next call
  // starts clean instead of hitting "commands out of sync" (the classic patch's retry bug).
  template <typename Body>
  void guarded(Body body) {
    try {
      body();
    } catch (...) {
      conn_.reset();
      table_ready_ = false;
      throw;
    }
  }

  MysqlConfig config_;
  MysqlPtr conn_;
  bool table_ready_ = false;
};

void require_valid_table(const MysqlConfig& config) {
  if (!valid_table_name(config.table)) {
    throw StoreError("mysql: table `" + config.table + "` is not a plain identifier");
  }
}

}  // namespace

std::unique_ptr<RoamingAdmin> make_mysql_admin(const MysqlConfig& config) {
  require_valid_table(config);
  // A replica is read-only: with a primary configured, every tool writes (and lists) there.
  return std::make_unique<MysqlAdmin>(writer_config(config));
}

std::optional<IpColumn> read_mysql_ip_column(const MysqlConfig& config) {
  require_valid_table(config);
  MysqlPtr mysql = connect_blocking(config);
  return read_ip_column(mysql.get(), config.table);
}

}  // namespace ucspi
