#include "rules/cdb/cdb_image.h"

#include <algorithm>
#include <array>
#include <limits>

#include "rules/cdb/cdb_format.h"

namespace ucspi {
namespace {

constexpr std::size_t header_size = cdb_header_size;
constexpr std::uint64_t max_file_size = std::numeric_limits<std::uint32_t>::max();

void append_u32(std::string& out, std::uint32_t value) {
  char buf[4];
  put_u32(buf, value);
  out.append(buf, sizeof buf);
}

}  // namespace

std::uint32_t cdb_hash_of(std::string_view key) {
  std::uint32_t h = 5381;
  for (const char c : key) h = (h + (h << 5)) ^ static_cast<unsigned char>(c);
  return h;
}

void build_cdb_index(const std::vector<CdbSlot>& records, std::uint32_t tables_start, char* header,
                     char* tables) {
  std::array<std::uint32_t, 256> count{};
  for (const CdbSlot& record : records) ++count[record.hash & 255];
  // Records grouped by table, keeping the file order within each (first added wins).
  std::array<std::uint32_t, 256> start{};
  for (std::size_t i = 1; i < 256; ++i) start[i] = start[i - 1] + count[i - 1];
  std::vector<CdbSlot> grouped(records.size());
  std::array<std::uint32_t, 256> next = start;
  for (const CdbSlot& record : records) grouped[next[record.hash & 255]++] = record;

  std::uint32_t position = tables_start;
  char* out = tables;
  std::vector<CdbSlot> table;
  for (std::size_t i = 0; i < 256; ++i) {
    const std::uint32_t length = 2 * count[i];  // every table holds twice its records
    put_u32(&header[8 * i], position);
    put_u32(&header[8 * i + 4], length);
    if (length == 0) continue;
    table.assign(length, CdbSlot{0, 0});
    for (std::uint32_t k = start[i]; k < start[i] + count[i]; ++k) {
      const CdbSlot& record = grouped[k];
      std::uint32_t at = (record.hash >> 8) % length;
      while (table[at].position != 0) at = at + 1 == length ? 0 : at + 1;  // 0: an empty slot
      table[at] = record;
    }
    for (const CdbSlot& slot : table) {
      put_u32(out, slot.hash);
      put_u32(out + 4, slot.position);
      out += 8;
    }
    position += 8 * length;
  }
}

CdbImage::CdbImage(std::size_t expected_bytes) {
  bytes_.reserve(std::max(expected_bytes, header_size));
  bytes_.resize(header_size);  // filled in by finish()
}

bool CdbImage::add(std::string_view key, std::string_view data) {
  const std::uint64_t grown = bytes_.size() + 8 + std::uint64_t{key.size()} + data.size();
  // Each record also costs 16 bytes of hash table: refuse now rather than at finish().
  if (grown + 16 * (std::uint64_t{records_.size()} + 1) > max_file_size) return false;
  records_.push_back(CdbSlot{cdb_hash_of(key), static_cast<std::uint32_t>(bytes_.size())});
  append_u32(bytes_, static_cast<std::uint32_t>(key.size()));
  append_u32(bytes_, static_cast<std::uint32_t>(data.size()));
  bytes_.append(key);
  bytes_.append(data);
  return true;
}

bool CdbImage::finish() {
  if (bytes_.size() + 16 * std::uint64_t{records_.size()} > max_file_size) return false;
  const std::size_t tables_start = bytes_.size();
  bytes_.resize(tables_start + 16 * records_.size());
  build_cdb_index(records_, static_cast<std::uint32_t>(tables_start), bytes_.data(),
                  bytes_.data() + tables_start);
  return true;
}

}  // namespace ucspi
