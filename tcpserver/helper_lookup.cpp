#include "tcpserver/helper_lookup.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <deque>
#include <functional>

#include "tcpserver/child_spawn.h"
#include "rules/base/error_str.h"
#include "rules/roaming/roaming_time.h"
#include "rules/event/callback_guard.h"
#include "rules/roaming/socketmap.h"
#include "rules/base/unique_fd.h"

extern char** environ;

namespace ucspi {
namespace {

using Clock = std::chrono::steady_clock;

std::string exit_text(const std::string& name, int status) {
  if (WIFEXITED(status)) return name + " exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return name + " was killed by signal " + std::to_string(WTERMSIG(status));
  return name + " stopped";
}

class HelperLookup final : public RoamingLookup {
 public:
  HelperLookup(event_base* base, ChildRegistry& children, const Logger& log, HelperCommand command,
               std::int64_t window, HelperTimings timings)
      : base_(base), children_(children), log_(log), command_(std::move(command)), window_(window),
        timings_(timings), launcher_(command_.argv, nullptr, nullptr, log_, ChildLauncher::Role::helper),
        backoff_(timings_.first_backoff),
        deadline_timer_(evtimer_new(base, &HelperLookup::on_deadline, this)),
        restart_timer_(evtimer_new(base, &HelperLookup::on_restart, this)) {
    if (!deadline_timer_ || !restart_timer_) throw std::bad_alloc();
    problem_ = command_.name + " is not running yet";
    event_active(restart_timer_.get(), EV_TIMEOUT, 0);  // start once the loop runs
  }

  void lookup(const std::string& ip, std::int64_t now,
              std::function<void(RelayVerdict)> done) override {
    if (!sock_) return done({RelayAnswer::unavailable, problem_});
    if (waiting_.size() >= timings_.max_waiting)
      return done({RelayAnswer::unavailable,
                   command_.name + " has " + std::to_string(waiting_.size()) + " lookups waiting"});
    out_ += socketmap_request(relay_map, ip);
    waiting_.push_back(Waiting{std::move(done), now, Clock::now() + timings_.deadline});
    if (waiting_.size() == 1) arm_deadline();
    flush();
  }

 private:
  struct Waiting {
    std::function<void(RelayVerdict)> done;
    std::int64_t now;
    Clock::time_point deadline;
  };

  void start() {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
      return fail("unable to start " + command_.name + ": " + error_str(errno));
    UniqueFd ours(pair[0]);
    UniqueFd theirs(pair[1]);
    const pid_t pid = launcher_.start(environ, theirs.get(), ChildIntro{});
    if (pid < 0) return fail("unable to start " + command_.name + ": " + error_str(errno));
    pid_ = pid;
    std::weak_ptr<bool> alive = alive_;
    children_.add(pid, [this, alive, pid](int status) {
      if (!alive.expired() && pid == pid_) fail(exit_text(command_.name, status));
    });
    ::fcntl(ours.get(), F_SETFL, ::fcntl(ours.get(), F_GETFL) | O_NONBLOCK);
    reader_event_.reset(event_new(base_, ours.get(), EV_READ | EV_PERSIST, &HelperLookup::on_readable, this));
    writer_event_.reset(event_new(base_, ours.get(), EV_WRITE | EV_PERSIST, &HelperLookup::on_writable, this));
    if (!reader_event_ || !writer_event_) return fail("unable to start " + command_.name + ": out of memory");
    event_add(reader_event_.get(), nullptr);
    sock_ = std::move(ours);
  }

  // The helper is gone or unusable: every waiting lookup answers unavailable, a new helper is
  // started after the backoff.
  void fail(const std::string& problem) {
    problem_ = problem;
    if (pid_ > 0) ::kill(pid_, SIGKILL);
    pid_ = -1;
    reader_event_.reset();
    writer_event_.reset();
    sock_.reset();
    out_.clear();
    reader_ = NetstringReader(socketmap_max_payload);
    event_del(deadline_timer_.get());
    timeval tv = to_timeval(static_cast<unsigned long>(backoff_.count()));
    event_add(restart_timer_.get(), &tv);
    backoff_ = std::min(backoff_ * 2, timings_.max_backoff);
    std::deque<Waiting> failed;
    failed.swap(waiting_);
    for (Waiting& w : failed) w.done({RelayAnswer::unavailable, problem});
  }

  void flush() {
    while (!out_.empty()) {
      const ssize_t n = ::send(sock_.get(), out_.data(), out_.size(), MSG_NOSIGNAL);
      if (n > 0) {
        out_.erase(0, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) {
        event_add(writer_event_.get(), nullptr);
        return;
      }
      if (errno == EPIPE || errno == ECONNRESET) return fail(gone());
      return fail("unable to write to " + command_.name + ": " + error_str(errno));
    }
    event_del(writer_event_.get());
  }

  void read_replies() {
    char buf[4096];
    const ssize_t n = ::read(sock_.get(), buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    // A reset is the helper gone with requests unread: to the admin, the same as an end.
    if (n == 0 || errno == ECONNRESET) return fail(gone());
    if (n < 0) return fail("unable to read from " + command_.name + ": " + error_str(errno));
    reader_.feed(std::string_view(buf, static_cast<std::size_t>(n)));
    std::string payload;
    for (;;) {
      switch (reader_.next(payload)) {
        case NetstringReader::Status::need_more: return;
        case NetstringReader::Status::malformed:
          return fail(command_.name + " sent a malformed reply");
        case NetstringReader::Status::ready:
          if (!answer(payload)) return;
          break;
      }
    }
  }

  // Why lookups fail when the helper's end of the socketpair is gone (it exited or was killed;
  // its exit status comes later, by SIGCHLD, and its own stderr says why it went).
  std::string gone() const { return command_.name + " closed its socket"; }

  // False when the helper has been given up.
  bool answer(const std::string& payload) {
    std::optional<SocketmapReply> reply = parse_socketmap_reply(payload);
    if (!reply) return fail(command_.name + " sent a malformed reply: " + payload), false;
    if (waiting_.empty()) return fail(command_.name + " answered a question nobody asked"), false;
    Waiting& first = waiting_.front();
    std::optional<RelayVerdict> verdict = verdict_of(*reply, first.now);
    if (!verdict) return fail(command_.name + " sent a malformed reply: " + payload), false;
    Waiting answered = std::move(first);
    waiting_.pop_front();
    backoff_ = timings_.first_backoff;
    arm_deadline();
    answered.done(std::move(*verdict));
    return sock_.valid();
  }

  std::optional<RelayVerdict> verdict_of(const SocketmapReply& reply, std::int64_t now) const {
    switch (reply.status) {
      case SocketmapStatus::ok: {
        std::optional<LastLogin> login = parse_last_login(reply.data);
        if (!login) return std::nullopt;
        const bool relay = login->permanent || within_window(login->seconds, now, window_);
        return RelayVerdict{relay ? RelayAnswer::relay : RelayAnswer::no_relay, {}};
      }
      case SocketmapStatus::notfound: return RelayVerdict{};
      case SocketmapStatus::temp:
      case SocketmapStatus::timeout:
        return RelayVerdict{RelayAnswer::unavailable,
                            reply.data.empty() ? command_.name + " cannot answer" : reply.data};
      case SocketmapStatus::perm: return RelayVerdict{RelayAnswer::no_relay, reply.data};
    }
    return std::nullopt;
  }

  void arm_deadline() {
    if (waiting_.empty()) {
      event_del(deadline_timer_.get());
      return;
    }
    const auto left = std::max(Clock::duration::zero(), waiting_.front().deadline - Clock::now());
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(left).count() + 1;
    timeval tv = to_timeval(static_cast<unsigned long>(ms));
    event_add(deadline_timer_.get(), &tv);
  }

  void check_deadline() {
    if (waiting_.empty()) return;
    if (waiting_.front().deadline > Clock::now()) return arm_deadline();
    fail(command_.name + " did not answer within " + std::to_string(timings_.deadline.count()) +
         " ms");
  }

  static void on_readable(evutil_socket_t, short, void* self) {
    auto* h = static_cast<HelperLookup*>(self);
    guard_callback([h] { h->read_replies(); }, h->log_.failed_callback());
  }
  static void on_writable(evutil_socket_t, short, void* self) {
    auto* h = static_cast<HelperLookup*>(self);
    guard_callback([h] { h->flush(); }, h->log_.failed_callback());
  }
  static void on_deadline(evutil_socket_t, short, void* self) {
    auto* h = static_cast<HelperLookup*>(self);
    guard_callback([h] { h->check_deadline(); }, h->log_.failed_callback());
  }
  static void on_restart(evutil_socket_t, short, void* self) {
    auto* h = static_cast<HelperLookup*>(self);
    guard_callback([h] { h->start(); }, h->log_.failed_callback());
  }

  event_base* base_;
  ChildRegistry& children_;
  const Logger& log_;
  HelperCommand command_;
  std::int64_t window_;
  HelperTimings timings_;
  ChildLauncher launcher_;
  std::chrono::milliseconds backoff_;
  EventPtr deadline_timer_;
  EventPtr restart_timer_;
  EventPtr reader_event_;
  EventPtr writer_event_;
  UniqueFd sock_;
  pid_t pid_ = -1;
  NetstringReader reader_{socketmap_max_payload};
  std::string out_;
  std::deque<Waiting> waiting_;
  std::string problem_;  // why lookups cannot be sent now
  // The registry may outlive us (tests): its callbacks check this first.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

std::unique_ptr<RoamingLookup> make_helper_lookup(event_base* base, ChildRegistry& children,
                                                  const Logger& log, HelperCommand command,
                                                  std::int64_t window, HelperTimings timings) {
  return std::make_unique<HelperLookup>(base, children, log, std::move(command), window, timings);
}

}  // namespace ucspi
