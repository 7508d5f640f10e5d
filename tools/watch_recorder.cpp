#include "tools/watch_recorder.h"

#include <algorithm>

#include "rules/base/ip_address.h"
#include "rules/base/messages.h"
#include "tools/helper_recorder.h"

namespace ucspi {

LoginStamp stamp_login(std::optional<std::int64_t> line_time, std::int64_t now, std::int64_t window,
                       bool store_stamps_now) {
  const std::int64_t time = std::min(line_time.value_or(now), now);
  const std::int64_t age = now - time;
  const std::string old = "logged in " + std::to_string(age) + " s ago (at " + std::to_string(time) + ")";
  if (age >= window)
    return {std::nullopt, old + ", at least the window (" + std::to_string(window) + " s)"};
  if (store_stamps_now && age > own_clock_slack)
    return {std::nullopt, old + ", and the store would stamp it now, " +
                              "beyond its window (more than " + std::to_string(own_clock_slack) + " s late)"};
  return {time, ""};
}

void LoginRecorder::open() {
  StoreWriter writer = open_store_writer(spec_);
  stamps_now_ = !writer.admin;  // the helper (relay-mysql allow) takes its own clock
  admin_ = open_recorder(std::move(writer), spec_);
}

void LoginRecorder::record(const std::string& address, std::optional<std::int64_t> line_time,
                           std::int64_t now) {
  const std::optional<std::string> ip = canonical_ip_text(address);
  if (!ip) {
    print_line({"relay-watch: warning: skipped a login from ", address, ": not an IP address"});
    return;
  }
  try {
    if (!admin_) open();
    const LoginStamp stamp = stamp_login(line_time, now, window_, stamps_now_);
    if (!stamp.time) {
      print_line({"relay-watch: warning: skipped ", *ip, ": ", stamp.skipped});
      return;
    }
    admin_->record(*ip, *stamp.time);
    print_line({"relay-watch: info: recorded ", *ip, " (login at ", std::to_string(*stamp.time), ")"});
  } catch (const StoreError& e) {
    admin_.reset();
    print_line({"relay-watch: warning: unable to record ", *ip, ": ", e.what()});
  }
}

}  // namespace ucspi
