// Not a test: lookups/s and latency through make_mysql_login_lookup against a real server, with an
// optional delaying TCP proxy in front of it to stand in for a remote database.
//
//   bench_mysql_lookup CONFIG [--concurrency N] [--seconds S] [--delay-ms D]
//
// Closed loop: N lookups are kept outstanding, each answer immediately issues the next, for S
// seconds. Every lookup asks a different IP (no coalescing), 3 of 4 present in the table.
// --delay-ms D holds every chunk D ms in each direction, so a query round trip gains 2·D.
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <list>
#include <string>
#include <thread>
#include <vector>

#include "mysql/login_lookup.h"
#include "mysql/mysql_handles.h"
#include "mysql/mysql_store.h"
#include "tools/bench/bench_addresses.h"

using namespace ucspi;
using ucspi::bench::bench_ip;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::int64_t kNow = 1700000000;
constexpr int kSeeded = 2000;

// ---- the delaying proxy: its own thread and event loop, so its waits cost the bench nothing.
class DelayProxy {
 public:
  DelayProxy(const MysqlConfig& upstream, unsigned delay_ms)
      : base_(event_base_new()), delay_(to_timeval(delay_ms)) {
    inet_pton(AF_INET, upstream.server.c_str(), &upstream_.sin_addr);
    upstream_.sin_family = AF_INET;
    upstream_.sin_port = htons(static_cast<uint16_t>(upstream.port));
    sockaddr_in any{};
    any.sin_family = AF_INET;
    any.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    listener_ = evconnlistener_new_bind(base_, &on_accept, this, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
                                        16, reinterpret_cast<sockaddr*>(&any), sizeof any);
    socklen_t len = sizeof any;
    getsockname(evconnlistener_get_fd(listener_), reinterpret_cast<sockaddr*>(&any), &len);
    port_ = ntohs(any.sin_port);
    // libevent here is built without locking, so the other thread stops the loop through a
    // pipe the loop itself watches, not with event_base_loopbreak().
    if (pipe2(stop_pipe_, O_CLOEXEC) != 0) throw StoreError("proxy: pipe failed");
    stop_.reset(event_new(base_, stop_pipe_[0], EV_READ,
                          [](evutil_socket_t, short, void* b) {
                            event_base_loopbreak(static_cast<event_base*>(b));
                          },
                          base_));
    event_add(stop_.get(), nullptr);
    thread_ = std::thread([this] { event_base_dispatch(base_); });
  }
  ~DelayProxy() {
    [[maybe_unused]] ssize_t n = write(stop_pipe_[1], "x", 1);
    thread_.join();
    stop_.reset();
    close(stop_pipe_[0]);
    close(stop_pipe_[1]);
    pairs_.clear();
    evconnlistener_free(listener_);
    event_base_free(base_);
  }
  unsigned port() const { return port_; }

 private:
  struct Pending {
    Clock::time_point due;
    std::string data;
  };
  struct Direction {
    bufferevent* to = nullptr;
    std::deque<Pending> queue;
    EventPtr timer;
  };
  struct Pair {
    DelayProxy* proxy;
    bufferevent* client;
    bufferevent* server;
    Direction up, down;
    ~Pair() {
      bufferevent_free(client);
      bufferevent_free(server);
    }
  };

  static void on_accept(evconnlistener*, evutil_socket_t fd, sockaddr*, int, void* self) {
    auto* proxy = static_cast<DelayProxy*>(self);
    auto pair = std::make_unique<Pair>();
    Pair* p = pair.get();
    p->proxy = proxy;
    p->client = bufferevent_socket_new(proxy->base_, fd, BEV_OPT_CLOSE_ON_FREE);
    p->server = bufferevent_socket_new(proxy->base_, -1, BEV_OPT_CLOSE_ON_FREE);
    p->up.to = p->server;
    p->down.to = p->client;
    p->up.timer.reset(evtimer_new(proxy->base_, &on_due, &p->up));
    p->down.timer.reset(evtimer_new(proxy->base_, &on_due, &p->down));
    bufferevent_setcb(p->client, &on_read, nullptr, &on_event, p);
    bufferevent_setcb(p->server, &on_read, nullptr, &on_event, p);
    bufferevent_enable(p->client, EV_READ | EV_WRITE);
    bufferevent_enable(p->server, EV_READ | EV_WRITE);
    bufferevent_socket_connect(p->server, reinterpret_cast<sockaddr*>(&proxy->upstream_),
                               sizeof proxy->upstream_);
    proxy->pairs_.push_back(std::move(pair));
  }

  static void on_read(bufferevent* from, void* arg) {
    auto* p = static_cast<Pair*>(arg);
    Direction& dir = from == p->client ? p->up : p->down;
    evbuffer* in = bufferevent_get_input(from);
    std::string chunk(evbuffer_get_length(in), '\0');
    evbuffer_remove(in, chunk.data(), chunk.size());
    auto delay = std::chrono::seconds(p->proxy->delay_.tv_sec) +
                 std::chrono::microseconds(p->proxy->delay_.tv_usec);
    dir.queue.push_back({Clock::now() + delay, std::move(chunk)});
    if (dir.queue.size() == 1) event_add(dir.timer.get(), &p->proxy->delay_);
  }

  // Chunks leave in arrival order, each when its own delay is over.
  static void on_due(evutil_socket_t, short, void* arg) {
    auto* dir = static_cast<Direction*>(arg);
    auto now = Clock::now();
    while (!dir->queue.empty() && dir->queue.front().due <= now) {
      bufferevent_write(dir->to, dir->queue.front().data.data(), dir->queue.front().data.size());
      dir->queue.pop_front();
    }
    if (!dir->queue.empty()) {
      auto wait = std::chrono::duration_cast<std::chrono::microseconds>(dir->queue.front().due - now);
      timeval tv{static_cast<time_t>(wait.count() / 1000000),
                 static_cast<suseconds_t>(wait.count() % 1000000)};
      event_add(dir->timer.get(), &tv);
    }
  }

  static void on_event(bufferevent*, short what, void* arg) {
    auto* p = static_cast<Pair*>(arg);
    if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))) return;
    auto& pairs = p->proxy->pairs_;
    pairs.remove_if([p](const std::unique_ptr<Pair>& q) { return q.get() == p; });
  }

  event_base* base_;
  timeval delay_;
  sockaddr_in upstream_{};
  evconnlistener* listener_ = nullptr;
  unsigned port_ = 0;
  int stop_pipe_[2] = {-1, -1};
  EventPtr stop_;
  std::list<std::unique_ptr<Pair>> pairs_;
  std::thread thread_;
};

// ---- the closed-loop driver.
struct Run {
  Run(LoginLookup* s, event_base* b, Clock::time_point e) : store(s), base(b), end(e) {}
  LoginLookup* store;
  event_base* base;
  Clock::time_point end;
  long next = 0;
  int outstanding = 0;
  long found = 0, absent = 0, unavailable = 0;
  std::vector<double> latencies_us;

  void issue() {
    long n = next++;
    // 3 of 4 hit a seeded row; the rest are unknown addresses.
    long key = n % 4 == 3 ? 1000000 + n : n % kSeeded;
    auto start = Clock::now();
    ++outstanding;
    store->lookup(bench_ip(key), [this, start](LoginAnswer answer) {
      latencies_us.push_back(
          std::chrono::duration<double, std::micro>(Clock::now() - start).count());
      switch (answer.status) {
        case LoginAnswer::Status::found: ++found; break;
        case LoginAnswer::Status::absent: ++absent; break;
        default: ++unavailable; break;
      }
      --outstanding;
      if (Clock::now() < end) {
        issue();
      } else if (outstanding == 0) {
        event_base_loopbreak(base);
      }
    });
  }
};

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(i), v.end());
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CONFIG [--concurrency N] [--seconds S] [--delay-ms D]\n", argv[0]);
    return 2;
  }
  int concurrency = 1;
  double seconds = 5;
  unsigned delay_ms = 0;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string opt = argv[i];
    if (opt == "--concurrency") concurrency = std::stoi(argv[i + 1]);
    else if (opt == "--seconds") seconds = std::stod(argv[i + 1]);
    else if (opt == "--delay-ms") delay_ms = static_cast<unsigned>(std::stoul(argv[i + 1]));
    else { std::fprintf(stderr, "unknown option %s\n", opt.c_str()); return 2; }
  }
  try {
    MysqlConfig config = load_mysql_config(argv[1]);
    config.table = "bench_relay";
    {
      auto admin = make_mysql_admin(config);
      if (admin->list().size() < kSeeded) {
        for (int n = 0; n < kSeeded; ++n) admin->record(bench_ip(n), kNow - 60);
      }
    }
    std::unique_ptr<DelayProxy> proxy;
    if (delay_ms > 0) {
      proxy = std::make_unique<DelayProxy>(config, delay_ms);
      config.server = "127.0.0.1";
      config.port = proxy->port();
    }
    event_base* base = event_base_new();
    {
      auto store = make_mysql_login_lookup(base, config);
      Run warm{store.get(), base, Clock::now()};  // connect before the clock starts
      warm.issue();
      event_base_dispatch(base);

      Run run{store.get(), base, Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                     std::chrono::duration<double>(seconds))};
      auto start = Clock::now();
      for (int i = 0; i < concurrency; ++i) run.issue();
      event_base_dispatch(base);
      double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      std::size_t count = run.latencies_us.size();
      std::printf(
          "concurrency %d, delay %u ms/chunk each way: %zu lookups in %.2f s = %.0f lookups/s; "
          "latency p50 %.0f us, p99 %.0f us, max %.0f us; found %ld, absent %ld, "
          "unavailable %ld\n",
          concurrency, delay_ms, count, elapsed, static_cast<double>(count) / elapsed,
          percentile(run.latencies_us, 0.50), percentile(run.latencies_us, 0.99),
          percentile(run.latencies_us, 1.0), run.found, run.absent, run.unavailable);
      std::fflush(stdout);
    }
    event_base_free(base);
  } catch (const StoreError& e) {
    std::fprintf(stderr, "bench_mysql_lookup: fatal: %s\n", e.what());
    return 111;
  }
  return 0;
}
