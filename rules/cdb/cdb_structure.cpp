#include "rules/cdb/cdb_structure.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "rules/cdb/cdb_format.h"
#include "rules/cdb/cdb_image.h"

namespace ucspi {
namespace {

class Bytes {
 public:
  explicit Bytes(std::string_view bytes) : bytes_(bytes) {}
  std::uint64_t size() const { return bytes_.size(); }
  std::uint32_t u32(std::uint64_t at) const {
    return get_u32(reinterpret_cast<const unsigned char*>(bytes_.data()) + at);
  }
  std::string_view slice(std::uint64_t at, std::uint64_t length) const {
    return bytes_.substr(static_cast<std::size_t>(at), static_cast<std::size_t>(length));
  }

 private:
  std::string_view bytes_;
};

// The start of every record, in file order; false when the records do not end exactly at
// data_end.
bool record_starts(const Bytes& file, std::uint64_t data_end, std::vector<std::uint32_t>& starts) {
  std::uint64_t pos = cdb_header_size;
  while (pos < data_end) {
    if (data_end - pos < 8) return false;
    const std::uint64_t length = std::uint64_t{file.u32(pos)} + file.u32(pos + 4);
    if (length > data_end - pos - 8) return false;
    starts.push_back(static_cast<std::uint32_t>(pos));
    pos += 8 + length;
  }
  return pos == data_end;
}

// Whether each filled slot of one table is where cdb_find looks for its key: probing starts at
// (hash >> 8) % n and stops at the first empty slot, so no empty slot may lie between. O(n).
bool slots_reachable(const Bytes& file, std::uint64_t at, std::uint64_t n) {
  auto filled = [&](std::uint64_t s) { return file.u32(at + 8 * s + 4) != 0; };
  std::uint64_t empty = n;
  for (std::uint64_t s = 0; s < n && empty == n; ++s)
    if (!filled(s)) empty = s;
  if (empty == n) return true;  // a full table: cdb_find probes every slot
  // run: how many filled slots end at s, counting back (around the end) to an empty one.
  std::uint64_t run = 0;
  for (std::uint64_t k = 1; k <= n; ++k) {
    const std::uint64_t s = (empty + k) % n;
    if (!filled(s)) {
      run = 0;
      continue;
    }
    ++run;
    const std::uint64_t start = (file.u32(at + 8 * s) >> 8) % n;
    if ((s + n - start) % n >= run) return false;
  }
  return true;
}

}  // namespace

bool is_whole_cdb(std::string_view bytes) {
  const Bytes file(bytes);
  if (file.size() < cdb_header_size || file.size() > UINT32_MAX) return false;
  struct Table {
    std::uint64_t at, length;
  };
  std::array<Table, 256> tables;
  for (std::uint64_t t = 0; t < 256; ++t) tables[t] = {file.u32(8 * t), file.u32(8 * t + 4)};
  // cdb_make writes the records, then table 0, table 1, ...: the first table ends the data.
  const std::uint64_t data_end = tables[0].at;
  if (data_end < cdb_header_size) return false;
  for (const Table& table : tables)
    if (table.at < data_end || table.at > file.size() ||
        table.length > (file.size() - table.at) / 8)
      return false;
  std::vector<std::uint32_t> starts;
  if (!record_starts(file, data_end, starts)) return false;
  // Every record named by exactly one slot of the table its hash picks, found by cdb_find.
  std::vector<bool> named(starts.size(), false);
  for (std::uint64_t t = 0; t < 256; ++t) {
    const auto [at, length] = tables[t];
    for (std::uint64_t s = 0; s < length; ++s) {
      const std::uint32_t hash = file.u32(at + 8 * s), record = file.u32(at + 8 * s + 4);
      if (record == 0) continue;
      const auto it = std::lower_bound(starts.begin(), starts.end(), record);
      if (it == starts.end() || *it != record) return false;
      const auto index = static_cast<std::size_t>(it - starts.begin());
      if (named[index]) return false;
      named[index] = true;
      const std::string_view key = file.slice(record + 8, file.u32(record));
      if (cdb_hash_of(key) != hash || (hash & 255) != t) return false;
    }
    if (!slots_reachable(file, at, length)) return false;
  }
  return std::find(named.begin(), named.end(), false) == named.end();
}

}  // namespace ucspi
