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

// A record as the tables must name it: where it starts and the hash of its key.
struct Named {
  std::uint32_t record;
  std::uint32_t hash;
  bool operator==(const Named&) const = default;
};

// Every record in file order, with its key's hash; false when the records do not end exactly
// at data_end. One sequential pass.
bool records_of(const Bytes& file, std::uint64_t data_end, std::vector<Named>& records) {
  std::uint64_t pos = cdb_header_size;
  while (pos < data_end) {
    if (data_end - pos < 8) return false;
    const std::uint32_t key_length = file.u32(pos);
    const std::uint64_t length = std::uint64_t{key_length} + file.u32(pos + 4);
    if (length > data_end - pos - 8) return false;
    records.push_back(Named{static_cast<std::uint32_t>(pos), cdb_hash_of(file.slice(pos + 8, key_length))});
    pos += 8 + length;
  }
  return pos == data_end;
}

// Sorts by record, a byte at a time (LSD radix): at 10^6 records a comparison sort, or a binary
// search per slot, costs several times more, and a reader that checks a store whole does so
// each time the store is replaced. Bytes, not 16-bit digits: 65,536 scatter streams miss the
// TLB on nearly every write; 256 stay cached.
void sort_by_record(std::vector<Named>& named) {
  std::vector<Named> buffer(named.size());
  for (int shift = 0; shift < 32; shift += 8) {
    std::array<std::size_t, 257> first{};
    for (const Named& n : named) ++first[(n.record >> shift & 0xff) + 1];
    if (first[(named.empty() ? 0 : named.front().record >> shift & 0xff) + 1] == named.size())
      continue;  // every record has this byte alike (e.g. the top byte of a file under 16 MiB)
    for (std::size_t d = 1; d < first.size(); ++d) first[d] += first[d - 1];
    for (const Named& n : named) buffer[first[n.record >> shift & 0xff]++] = n;
    named.swap(buffer);
  }
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
  // One division per slot (the hash's start), none for the walk: this runs over every slot of
  // a store each time it is replaced.
  std::uint64_t run = 0;
  std::uint64_t s = empty;
  for (std::uint64_t k = 1; k <= n; ++k) {
    if (++s == n) s = 0;
    if (!filled(s)) {
      run = 0;
      continue;
    }
    ++run;
    const std::uint64_t start = (file.u32(at + 8 * s) >> 8) % n;
    const std::uint64_t distance = s >= start ? s - start : s + n - start;
    if (distance >= run) return false;
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
  std::vector<Named> records;
  if (!records_of(file, data_end, records)) return false;
  // Every record named by exactly one slot, of the table its hash picks, with that hash: the
  // slots, sorted by the record they name, are the records in file order.
  std::vector<Named> slots;
  slots.reserve(records.size());
  for (std::uint64_t t = 0; t < 256; ++t) {
    const auto [at, length] = tables[t];
    for (std::uint64_t s = 0; s < length; ++s) {
      const Named slot{file.u32(at + 8 * s + 4), file.u32(at + 8 * s)};
      if (slot.record == 0) continue;
      if ((slot.hash & 255) != t || slots.size() == records.size()) return false;
      slots.push_back(slot);
    }
    if (!slots_reachable(file, at, length)) return false;
  }
  sort_by_record(slots);
  return slots == records;
}

}  // namespace ucspi
