// tcprules' work between opening the temp file and renaming it: read rules text, write records.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "rules/cdb/cdb_file.h"

namespace ucspi {

struct CompileOutcome {
  enum class Status { ok, bad_line, read_error, write_error };
  Status status = Status::ok;
  int error = 0;           // errno for read_error / write_error
  std::string bad_line;    // for bad_line: the line as djb prints it
  bool open_relay = false; // the first catch-all rule allows and sets RELAYCLIENT
};

// Reads all of in_fd. warn is called with each warning text (no program prefix, no newline).
CompileOutcome compile_rules(int in_fd, CdbWriter& writer,
                             const std::function<void(std::string_view)>& warn);

}  // namespace ucspi
