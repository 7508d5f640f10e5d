// The store's lookup: login times from one persistent connection, without ever blocking the
// event loop. The states:
//
//   idle --lookup--> connecting --ok--> reading_column --ok--> ready <--> querying
//                        ^                                        |          |
//                        |                                  server closed    |
//                        +<---------------------------------------+          |
//                        |                                                   |
//                        +-- backoff (250 ms doubling to 4 s) <-- any failure or timeout
//
// A table not there yet (reading_column finds no ip_addr column) is no failure to back off
// from: the connection closes, the waiting lookups get the reason, and the state is idle again.
// While the database is known down (backing off, or reconnecting after a failure) lookups
// answer `unavailable` at once with the last failure's reason; otherwise they wait in
// LookupQueue, each at most query_timeout_ms.
#include <algorithm>

#include "mysql/answer_mailbox.h"
#include "mysql/async_connection.h"
#include "rules/event/callback_guard.h"
#include "mysql/ip_column_query.h"
#include "mysql/login_lookup.h"
#include "mysql/lookup_queue.h"
#include "mysql/mysql_connect.h"
#include "mysql/mysql_sql.h"
#include "mysql/replica_monitor.h"
#include "mysql/replicated_login_lookup.h"
#include "mysql/server_address.h"
#include "rules/base/ip_address.h"

namespace ucspi {

namespace {

constexpr std::size_t kQueueLimit = 1000;
// Distinct IPs asked in one query: one round trip for a whole burst, a statement still short.
constexpr std::size_t kIpsPerQuery = 100;
constexpr unsigned kFirstBackoffMs = 250;
// 4 s, not more: a restarted database is in use again within 5 s.
constexpr unsigned kMaxBackoffMs = 4000;

std::string lowercase(const char* text) {
  std::string out = text;
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  });
  return out;
}

// The lookup query's rows by IP. A timestamp that is not a number cannot come from
// CAST(... AS SIGNED), so such a row is broken and ignored: it grants nothing.
RowsByIp rows_by_ip(MYSQL_RES* result) {
  RowsByIp rows;
  while (MYSQL_ROW row = mysql_fetch_row(result)) {
    if (!row[0]) continue;
    // The column's collation matched case-insensitively; our keys are lowercase.
    std::string ip = lowercase(row[0]);
    if (!row[1]) {
      rows[ip].push_back(std::nullopt);
      continue;
    }
    if (std::optional<std::int64_t> stamp = parse_stamp(row[1])) rows[ip].push_back(*stamp);
  }
  return rows;
}

class MysqlLoginLookup final : public LoginLookup {
 public:
  MysqlLoginLookup(event_base* base, const MysqlConfig& config)
      : config_(config),
        server_("mysql " + describe_server(config)),
        mailbox_(base),
        queue_(kQueueLimit),
        connection_(base, config),
        sweep_(evtimer_new(base, &on_sweep, this)),
        backoff_(evtimer_new(base, &on_backoff, this)) {
    if (!sweep_ || !backoff_) throw StoreError("mysql: cannot create an event");
    connection_.on_lost([this] { guarded([this] { start_connect(); }); });
  }

  void connect_now() {
    if (state_ == State::idle) start_connect();
  }

  void lookup(const std::string& ip, LoginDone done) override {
    std::optional<std::string> key = canonical_ip_text(ip);
    if (!key) return mailbox_.post(std::move(done), LoginAnswer{});
    if (column_ && key_is_ambiguous(*column_, *key)) {
      return mailbox_.post(std::move(done), refused(*key));
    }
    // Waiting would only delay the same answer.
    if (!down_reason_.empty()) {
      return mailbox_.post(std::move(done), unavailable_answer(down_reason_));
    }
    if (queue_.full()) {
      return mailbox_.post(std::move(done),
                           unavailable_answer(server_ + ": overloaded, " +
                                              std::to_string(kQueueLimit) + " lookups waiting"));
    }
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(config_.query_timeout_ms);
    queue_.add(*key, deadline, std::move(done));
    // Deadlines grow with arrival, so a pending sweep is never later than this one's.
    if (!event_pending(sweep_.get(), EV_TIMEOUT, nullptr)) arm_sweep();
    if (state_ == State::idle) start_connect();
    pump();
  }

 private:
  enum class State { idle, connecting, reading_column, ready, querying, backoff };

  // Every step below runs from a libevent callback: nothing may throw out of it.
  template <typename Body>
  void guarded(Body&& body) noexcept {
    guard_callback(body, [this](const char* why) { fail(why); });
  }

  void start_connect() {
    state_ = State::connecting;
    connection_.connect([this](AsyncConnection::Outcome outcome) {
      guarded([&] {
        if (!outcome.error.empty()) return fail(outcome.error);
        read_column();
      });
    });
  }

  // Part of every connect: the width can change with any ALTER TABLE between connections.
  void read_column() {
    state_ = State::reading_column;
    connection_.query(ip_column_sql(config_.table), [this](AsyncConnection::Outcome outcome) {
      guarded([&] { column_read(std::move(outcome)); });
    });
  }

  void column_read(AsyncConnection::Outcome outcome) {
    if (!outcome.error.empty()) return fail(outcome.error);
    std::optional<IpColumn> column = ip_column_from_result(outcome.result.get());
    if (!column) return no_table();
    column_ = std::move(*column);
    down_reason_.clear();
    state_ = State::ready;
    pump();
  }

  void pump() {
    while (state_ == State::ready && queue_.has_queued()) {
      std::vector<std::string> escaped;
      for (const std::string& ip : queue_.start_next(kIpsPerQuery)) {
        if (key_is_ambiguous(*column_, ip)) {
          mailbox_.post(queue_.settle(ip, refused(ip)));
        } else {
          escaped.push_back(connection_.escape(ip));
        }
      }
      if (escaped.empty()) continue;
      state_ = State::querying;
      connection_.query(lookup_sql(config_.table, escaped),
                        [this](AsyncConnection::Outcome outcome) {
                          guarded([&] { answered(std::move(outcome)); });
                        });
    }
  }

  void answered(AsyncConnection::Outcome outcome) {
    if (!outcome.error.empty()) return fail(outcome.error);
    mailbox_.post(queue_.finish(rows_by_ip(outcome.result.get())));
    backoff_ms_ = kFirstBackoffMs;
    state_ = State::ready;
    pump();
  }

  LoginAnswer refused(const std::string& key) const {
    return LoginAnswer{LoginAnswer::Status::refused, LastLogin{},
                       "cannot tell " + key + " from a longer address cut to " +
                           std::to_string(*column_->width) + " characters: " +
                           narrow_ip_column_text(config_.table, *column_)};
  }

  // The server answers but the table is not there yet: the first relay-allow creates it, and
  // may do so any moment after tcpserver started. Not an outage to back off from (the next
  // lookup would wait up to 4 s past the table's creation, and a login just recorded would not
  // relay): the waiting lookups get the reason, and the next lookup connects and looks again.
  void no_table() {
    connection_.close();
    state_ = State::idle;
    mailbox_.post(queue_.fail_all(server_ + ": table " + quoted_table(config_.database) + "." +
                                  quoted_table(config_.table) +
                                  " has no ip_addr column or does not exist (relay-allow creates it)"));
  }

  // Ordered so that the state is consistent before anything that allocates: if building the
  // reason runs out of memory, guarded() calls this again with "out of memory".
  void fail(const std::string& error) {
    connection_.close();
    if (state_ != State::backoff) {
      state_ = State::backoff;
      timeval tv = to_timeval(backoff_ms_);
      event_add(backoff_.get(), &tv);
      backoff_ms_ = std::min(backoff_ms_ * 2, kMaxBackoffMs);
    }
    down_reason_ = server_ + ": " + error;
    mailbox_.post(queue_.fail_all(down_reason_));
  }

  // Reconnects as soon as the backoff is over, lookups or not, so the first lookup after an
  // outage finds a connection ready.
  static void on_backoff(evutil_socket_t, short, void* self) noexcept {
    auto* lookup = static_cast<MysqlLoginLookup*>(self);
    lookup->guarded([lookup] { lookup->start_connect(); });
  }

  void arm_sweep() {
    std::optional<SteadyTime> next = queue_.next_deadline();
    if (!next) return;
    auto wait = std::chrono::duration_cast<std::chrono::microseconds>(
        *next - std::chrono::steady_clock::now());
    timeval tv{};
    if (wait.count() > 0) {
      tv.tv_sec = static_cast<time_t>(wait.count() / 1000000);
      tv.tv_usec = static_cast<suseconds_t>(wait.count() % 1000000);
    }
    event_add(sweep_.get(), &tv);
  }

  static void on_sweep(evutil_socket_t, short, void* self) noexcept {
    auto* lookup = static_cast<MysqlLoginLookup*>(self);
    lookup->guarded([lookup] {
      std::string reason = lookup->server_ + ": no answer within " +
                           std::to_string(lookup->config_.query_timeout_ms) + " ms";
      lookup->mailbox_.post(lookup->queue_.expire(std::chrono::steady_clock::now(), reason));
      lookup->arm_sweep();
    });
  }

  MysqlConfig config_;
  std::string server_;  // "mysql 127.0.0.1:3306", the prefix of every reason
  // Declared before the connection and timers so it outlives nothing that could post to it.
  AnswerMailbox mailbox_;
  LookupQueue queue_;
  AsyncConnection connection_;
  EventPtr sweep_;
  EventPtr backoff_;
  State state_ = State::idle;
  unsigned backoff_ms_ = kFirstBackoffMs;
  std::string down_reason_;         // set while the database is known down
  std::optional<IpColumn> column_;  // as read at the last successful connect
};

// One server's lookup, the server resolved.
std::unique_ptr<LoginLookup> single_server_lookup(event_base* base, const MysqlConfig& config,
                                                  ConnectWhen when) {
  MysqlConfig resolved = config;
  if (resolved.socket.empty()) resolved.server = resolve_server_once(config.server);
  auto lookup = std::make_unique<MysqlLoginLookup>(base, resolved);
  if (when == ConnectWhen::now) lookup->connect_now();
  return lookup;
}

}  // namespace

std::unique_ptr<LoginLookup> make_mysql_login_lookup(event_base* base, const MysqlConfig& config,
                                                     ConnectWhen when) {
  if (!valid_table_name(config.table)) {
    throw StoreError("mysql: table `" + config.table + "` is not a plain identifier");
  }
  if (!has_primary(config)) return single_server_lookup(base, config, when);
  MysqlConfig replica = config;
  if (replica.socket.empty()) replica.server = resolve_server_once(config.server);
  auto monitor = std::make_shared<ReplicaMonitor>(base, replica);
  return make_replicated_login_lookup(single_server_lookup(base, replica, when),
                                      single_server_lookup(base, primary_of(config), when),
                                      [monitor] { return monitor->why_not_fresh(); });
}

}  // namespace ucspi
