// Hands answers to the lookups' callbacks from a top-level event callback, never from inside
// the store's own state changes: a callback may then call lookup() again or destroy the store
// without pulling the floor from under the code that produced the answer.
// Destroying the mailbox drops undelivered answers, so no callback runs after destruction.
#pragma once

#include <memory>
#include <vector>

#include "mysql/lookup_queue.h"
#include "mysql/mysql_handles.h"

namespace ucspi {

class AnswerMailbox {
 public:
  explicit AnswerMailbox(event_base* base);
  AnswerMailbox(const AnswerMailbox&) = delete;
  AnswerMailbox& operator=(const AnswerMailbox&) = delete;

  void post(LoginDone done, LoginAnswer answer);
  void post(std::vector<ReadyAnswer> answers);

 private:
  // noexcept: a LoginDone must not throw (login_lookup.h); if one does, std::terminate.
  static void on_ready(evutil_socket_t, short, void* self) noexcept;
  void deliver();

  EventPtr ready_;
  std::vector<ReadyAnswer> pending_;
  // Shared with deliver() so it can tell that a callback destroyed us mid-loop.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace ucspi
