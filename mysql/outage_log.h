// One line when the store goes down and one when it is back, however many lookups fail in
// between: a dead database must not flood tcpserver's log (or get -q'd away entirely, hence
// the injectable sink).
#pragma once

#include <string>
#include <string_view>

#include "mysql_store.h"

namespace ucspi {

class OutageLog {
 public:
  explicit OutageLog(MysqlLogSink sink);

  void down(std::string_view error);
  void up();
  // Once per overload episode; drained() ends the episode.
  void queue_full(std::size_t limit);
  void drained();
  bool is_down() const { return down_; }

 private:
  MysqlLogSink sink_;
  bool down_ = false;
  bool full_ = false;
};

}  // namespace ucspi
