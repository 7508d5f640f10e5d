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

// One record as the hash tables see it: its key's hash and where the record starts.
struct CdbSlot {
  std::uint32_t hash;
  std::uint32_t position;
};

// djb's hash, as cdb_hash().
std::uint32_t cdb_hash_of(std::string_view key);

// Fills header (2048 bytes) and tables (16 bytes a record: the 256 hash tables) for records,
// given in file order, whose tables start at tables_start, exactly as cdb_make_finish lays
// them out. The caller checks that tables_start + 16 * records.size() fits in 4 GB. For
// writers that copy the records themselves (the roaming store's rewrite).
void build_cdb_index(const std::vector<CdbSlot>& records, std::uint32_t tables_start, char* header,
                     char* tables);

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
  std::string bytes_;
  std::vector<CdbSlot> records_;  // one per record, in the order added
};

}  // namespace ucspi
