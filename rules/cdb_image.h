// A whole cdb built in memory, for writers that replace a file with one write(2).
//
// tinycdb's cdb_make writes through a 4 KB buffer and mallocs its record lists as it goes:
// rewriting the 10,000-entry roaming store took ~110 write calls (~0.8 ms of syscalls) per
// login. The image is djb's format exactly as cdb_make writes it (records in the order added,
// then 256 hash tables of twice their entry count, linear probing), so readers cannot tell.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ucspi {

class CdbImage {
 public:
  // expected_bytes: a hint of the finished size (the file being replaced is close enough), so
  // the image is allocated once rather than grown and copied.
  explicit CdbImage(std::size_t expected_bytes = 0);

  // Duplicates are kept; the first one added wins at lookup, as with cdb_make_add. False
  // (and nothing added) when the file would outgrow cdb's 4 GB.
  bool add(std::string_view key, std::string_view data);

  // Appends the hash tables and fills in the header; false when they would not fit in 4 GB.
  // Call once, after the last add.
  bool finish();

  // The file so far; complete after finish().
  std::string_view bytes() const { return bytes_; }

 private:
  struct Slot {
    std::uint32_t hash;
    std::uint32_t position;
  };

  std::string bytes_;
  std::vector<Slot> records_;  // one per record, in the order added
};

}  // namespace ucspi
