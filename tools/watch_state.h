// Where relay-watch stopped reading, kept in its state file (-t) so that a restart neither
// reads a line twice nor skips one: the file (device and inode, so that a file renamed by
// rotation is found again under its new name), the offset just after the last line handled,
// and the bytes before that offset (so that a file truncated and written again past the
// offset, by copytruncate or by hand, is told from the same file grown).
//
// The file is one line, "v1 DEV INO OFFSET HEX" (HEX the recent bytes, "-" for none),
// replaced by rename: a crash leaves the old state or the new one, never half of one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ucspi {

struct FilePosition {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::uint64_t offset = 0;
  std::string recent;  // the last bytes before offset, at most recent_bytes of them

  static constexpr std::size_t recent_bytes = 32;
  bool operator==(const FilePosition&) const = default;
};

// The saved position; nothing when path does not exist. Throws std::runtime_error ("unable to
// read PATH: ..." or "PATH is not a relay-watch state file") for anything else: guessing
// would read lines twice or skip them.
std::optional<FilePosition> load_position(const std::string& path);

// Writes position to path durably (fsync, rename, fsync of the directory). Throws StoreError.
void save_position(const std::string& path, const FilePosition& position);

// The line of the state file, and its reading (nothing when malformed): for the tests.
std::string format_position(const FilePosition& position);
std::optional<FilePosition> parse_position(std::string_view text);

}  // namespace ucspi
