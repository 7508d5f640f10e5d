// tcpserver's side of the store: lookups from the accept path, answered from one persistent
// connection without ever blocking the event loop. The states:
//
//   idle (no connection) --lookup/backoff over--> connecting --ok--> ready <--> querying
//        ^                                           |                 |          |
//        |                                         error          server closed  error/timeout
//        +------ backoff timer (250 ms doubling to 4 s) <-- backoff <------------+
//
// While the database is known down (backoff, or reconnecting after a failure) lookups answer
// `unavailable` at once; otherwise they wait in LookupQueue, each at most query_timeout_ms. Every failure answers
// `unavailable` (never relay) and costs one log line per outage.
#include <algorithm>
#include <cctype>

#include "answer_mailbox.h"
#include "async_connection.h"
#include "lookup_queue.h"
#include "mysql_sql.h"
#include "mysql_store.h"
#include "outage_log.h"
#include "server_address.h"
#include "rules/ip_address.h"

namespace ucspi {

namespace {

constexpr std::size_t kQueueLimit = 1000;
// Distinct IPs asked in one query: one round trip for a whole burst, a statement still short.
constexpr std::size_t kIpsPerQuery = 100;
constexpr unsigned kFirstBackoffMs = 250;
// 4 s, not more: a restarted database is in use again within 5 s.
constexpr unsigned kMaxBackoffMs = 4000;

class MysqlLookup final : public RoamingLookup {
 public:
  MysqlLookup(event_base* base, const MysqlConfig& config, std::int64_t window, MysqlLogSink log)
      : config_(config),
        window_(window),
        log_(std::move(log)),
        mailbox_(base),
        queue_(kQueueLimit),
        connection_(base, config),
        sweep_(evtimer_new(base, &on_sweep, this)),
        backoff_(evtimer_new(base, &on_backoff, this)) {
    if (!sweep_ || !backoff_) throw StoreError("mysql: cannot create an event");
    connection_.on_lost([this] { start_connect(); });
  }

  void lookup(const std::string& ip, std::int64_t now,
              std::function<void(RelayVerdict)> verdict) override {
    LookupDone done = [verdict = std::move(verdict)](RelayAnswer answer) {
      verdict({answer, answer == RelayAnswer::unavailable ? "database unavailable" : ""});
    };
    std::optional<std::string> key = canonical_ip_text(ip);
    if (!key) return mailbox_.post(std::move(done), RelayAnswer::no_relay);
    // Known down: backing off, or retrying a server that has not yet proved it is back.
    // Waiting would only delay the same answer.
    if (state_ == State::backoff || (state_ == State::connecting && log_.is_down())) {
      return mailbox_.post(std::move(done), RelayAnswer::unavailable);
    }
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(config_.query_timeout_ms);
    if (queue_.full()) {
      log_.queue_full(kQueueLimit);
      return mailbox_.post(std::move(done), RelayAnswer::unavailable);
    }
    queue_.add(*key, now, deadline, std::move(done));
    // Deadlines grow with arrival, so a pending sweep is never later than this one's.
    if (!event_pending(sweep_.get(), EV_TIMEOUT, nullptr)) arm_sweep();
    if (state_ == State::idle) start_connect();
    pump();
  }

 private:
  enum class State { idle, connecting, ready, querying, backoff };

  void start_connect() {
    state_ = State::connecting;
    connection_.connect([this](AsyncConnection::Outcome outcome) {
      if (!outcome.error.empty()) return fail(outcome.error);
      state_ = State::ready;
      pump();
    });
  }

  void pump() {
    if (state_ != State::ready || !queue_.has_queued()) return;
    std::vector<std::string> escaped;
    for (const std::string& ip : queue_.start_next(kIpsPerQuery)) {
      escaped.push_back(connection_.escape(ip));
    }
    state_ = State::querying;
    connection_.query(lookup_sql(config_.table, escaped),
                      [this](AsyncConnection::Outcome outcome) { answered(std::move(outcome)); });
  }

  void answered(AsyncConnection::Outcome outcome) {
    if (!outcome.error.empty()) return fail(outcome.error);
    RowsByIp rows;
    while (MYSQL_ROW row = mysql_fetch_row(outcome.result.get())) {
      if (!row[0]) continue;
      // The column's collation matched case-insensitively; our keys are lowercase.
      std::string ip = row[0];
      std::transform(ip.begin(), ip.end(), ip.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      // CAST(... AS SIGNED) already turned CHAR(12) text into digits; NULL stays NULL.
      rows[ip].push_back(row[1] ? std::optional<std::int64_t>(std::stoll(row[1])) : std::nullopt);
    }
    mailbox_.post(queue_.finish(rows, window_));
    log_.up();
    backoff_ms_ = kFirstBackoffMs;
    state_ = State::ready;
    if (queue_.waiting() == 0) log_.drained();
    pump();
  }

  void fail(const std::string& error) {
    connection_.close();
    mailbox_.post(queue_.fail_all());
    log_.down(error);
    state_ = State::backoff;
    timeval tv = to_timeval(backoff_ms_);
    event_add(backoff_.get(), &tv);
    backoff_ms_ = std::min(backoff_ms_ * 2, kMaxBackoffMs);
  }

  // Reconnects as soon as the backoff is over, lookups or not, so the "back" is noticed and
  // the first lookup after an outage finds a connection ready.
  static void on_backoff(evutil_socket_t, short, void* self) {
    static_cast<MysqlLookup*>(self)->start_connect();
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

  static void on_sweep(evutil_socket_t, short, void* self) {
    auto* lookup = static_cast<MysqlLookup*>(self);
    lookup->mailbox_.post(lookup->queue_.expire(std::chrono::steady_clock::now()));
    lookup->arm_sweep();
  }

  MysqlConfig config_;
  std::int64_t window_;
  OutageLog log_;
  // Declared before the connection and timers so it outlives nothing that could post to it.
  AnswerMailbox mailbox_;
  LookupQueue queue_;
  AsyncConnection connection_;
  EventPtr sweep_;
  EventPtr backoff_;
  State state_ = State::idle;
  unsigned backoff_ms_ = kFirstBackoffMs;
};

}  // namespace

std::unique_ptr<RoamingLookup> make_mysql_lookup(event_base* base, const MysqlConfig& config,
                                                 std::int64_t window, MysqlLogSink log) {
  if (!valid_table_name(config.table)) {
    throw StoreError("mysql: table `" + config.table + "` is not a plain identifier");
  }
  MysqlConfig resolved = config;
  if (resolved.socket.empty()) resolved.server = resolve_server_once(config.server);
  return std::make_unique<MysqlLookup>(base, resolved, window, std::move(log));
}

std::unique_ptr<RoamingLookup> make_mysql_lookup(event_base* base, const MysqlConfig& config,
                                                 std::int64_t window) {
  return make_mysql_lookup(base, config, window, nullptr);
}

}  // namespace ucspi
