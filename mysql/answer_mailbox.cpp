#include "mysql/answer_mailbox.h"

#include "rules/roaming/roaming_store.h"

namespace ucspi {

AnswerMailbox::AnswerMailbox(event_base* base) : ready_(event_new(base, -1, 0, &on_ready, this)) {
  if (!ready_) throw StoreError("mysql: cannot create an event");
}

void AnswerMailbox::post(LoginDone done, LoginAnswer answer) {
  pending_.push_back({std::move(done), std::move(answer)});
  if (pending_.size() == 1) event_active(ready_.get(), 0, 0);
}

void AnswerMailbox::post(std::vector<ReadyAnswer> answers) {
  for (ReadyAnswer& ready : answers) post(std::move(ready.done), std::move(ready.answer));
}

void AnswerMailbox::on_ready(evutil_socket_t, short, void* self) noexcept {
  static_cast<AnswerMailbox*>(self)->deliver();
}

void AnswerMailbox::deliver() {
  std::vector<ReadyAnswer> batch;
  batch.swap(pending_);
  std::weak_ptr<bool> alive = alive_;
  for (ReadyAnswer& ready : batch) {
    if (alive.expired()) return;  // a callback destroyed the store: drop the rest
    ready.done(std::move(ready.answer));
  }
}

}  // namespace ucspi
