// tcpserver's RoamingLookup over the login-time lookup: the relay window applied here, the
// way tcpserver applies it to a store helper's replies.
#include "mysql/login_lookup.h"
#include "mysql/mysql_store.h"

namespace ucspi {

namespace {

class WindowedLookup final : public RoamingLookup {
 public:
  WindowedLookup(std::unique_ptr<LoginLookup> logins, std::int64_t window)
      : logins_(std::move(logins)), window_(window) {}

  void lookup(const std::string& ip, std::int64_t now,
              std::function<void(RelayVerdict)> done) override {
    logins_->lookup(ip, [now, window = window_, done = std::move(done)](LoginAnswer answer) {
      done(relay_verdict(std::move(answer), now, window));
    });
  }

 private:
  std::unique_ptr<LoginLookup> logins_;
  std::int64_t window_;
};

}  // namespace

RelayVerdict relay_verdict(LoginAnswer answer, std::int64_t now, std::int64_t window) {
  switch (answer.status) {
    case LoginAnswer::Status::found: {
      const bool recent = answer.login.permanent || answer.login.seconds > now - window;
      return {recent ? RelayAnswer::relay : RelayAnswer::no_relay, {}};
    }
    case LoginAnswer::Status::absent: return {RelayAnswer::no_relay, {}};
    case LoginAnswer::Status::unavailable:
    case LoginAnswer::Status::refused: break;
  }
  return {RelayAnswer::unavailable, std::move(answer.reason)};
}

std::unique_ptr<RoamingLookup> make_mysql_lookup(event_base* base, const MysqlConfig& config,
                                                 std::int64_t window, MysqlLogSink) {
  return std::make_unique<WindowedLookup>(make_mysql_login_lookup(base, config), window);
}

std::unique_ptr<RoamingLookup> make_mysql_lookup(event_base* base, const MysqlConfig& config,
                                                 std::int64_t window) {
  return make_mysql_lookup(base, config, window, nullptr);
}

}  // namespace ucspi
