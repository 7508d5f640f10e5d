#include "mysql/mysql_statement.h"

namespace ucspi {

Statement::Statement(MYSQL* mysql, const std::string& sql, std::string what)
    : what_(std::move(what)), stmt_(mysql_stmt_init(mysql)) {
  if (!stmt_) throw StoreError("mysql " + what_ + ": " + mysql_error(mysql));
  if (mysql_stmt_prepare(stmt_.get(), sql.data(), sql.size()) != 0) fail();
}

Statement& Statement::bind(std::string text) {
  values_.emplace_back(std::move(text));
  return *this;
}

Statement& Statement::bind(std::int64_t number) {
  values_.emplace_back(static_cast<long long>(number));
  return *this;
}

std::uint64_t Statement::execute() {
  // Built here, after the last bind, so the buffers they point into no longer move.
  std::vector<MYSQL_BIND> binds(values_.size());
  for (std::size_t i = 0; i < values_.size(); ++i) {
    MYSQL_BIND& b = binds[i];
    if (auto* text = std::get_if<std::string>(&values_[i])) {
      b.buffer_type = MYSQL_TYPE_STRING;
      b.buffer = text->data();
      b.buffer_length = text->size();
    } else {
      b.buffer_type = MYSQL_TYPE_LONGLONG;
      b.buffer = &std::get<long long>(values_[i]);
    }
  }
  if (mysql_stmt_bind_param(stmt_.get(), binds.data()) != 0) fail();
  if (mysql_stmt_execute(stmt_.get()) != 0) fail();
  return mysql_stmt_affected_rows(stmt_.get());
}

void Statement::fail() const {
  throw StatementError("mysql " + what_ + ": " + mysql_stmt_error(stmt_.get()),
                       mysql_stmt_errno(stmt_.get()));
}

}  // namespace ucspi
