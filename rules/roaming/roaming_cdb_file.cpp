#include "rules/roaming/roaming_cdb_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "rules/roaming/atomic_file.h"
#include "rules/cdb/cdb_format.h"
#include "rules/cdb/cdb_image.h"
#include "rules/cdb/cdb_structure.h"
#include "rules/base/unique_fd.h"

namespace ucspi {
namespace {

constexpr std::uint32_t header_size = cdb_header_size;

// What to_chars writes for the time parse_login_time reads from data: no leading zero.
bool is_canonical_time(std::string_view data) {
  if (data.empty() || data.size() > 18 || (data[0] == '0' && data.size() > 1)) return false;
  for (char c : data)
    if (c < '0' || c > '9') return false;
  return true;
}

// A read-only map of a whole file, unmapped on destruction.
class FileMap {
 public:
  FileMap() = default;
  FileMap(const FileMap&) = delete;
  FileMap& operator=(const FileMap&) = delete;
  ~FileMap() {
    if (data_ != nullptr) ::munmap(data_, size_);
  }

  // False when path cannot be opened or mapped, or no longer names the file expected.
  bool map(const std::string& path, const struct stat& expected) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) == -1 || !S_ISREG(st.st_mode) || !same_file(st, expected))
      return false;
    if (st.st_size < static_cast<off_t>(header_size) ||
        static_cast<std::uint64_t>(st.st_size) > std::numeric_limits<std::uint32_t>::max())
      return false;
    void* p = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_SHARED, fd.get(), 0);
    if (p == MAP_FAILED) return false;
    data_ = p;
    size_ = static_cast<std::size_t>(st.st_size);
    return true;
  }

  const unsigned char* bytes() const { return static_cast<const unsigned char*>(data_); }
  std::size_t size() const { return size_; }

 private:
  void* data_ = nullptr;
  std::size_t size_ = 0;
};

// writev until every byte is written.
void write_all(AtomicFile& file, std::vector<iovec> parts) {
  std::size_t first = 0;
  while (first < parts.size()) {
    const int count = static_cast<int>(std::min<std::size_t>(parts.size() - first, IOV_MAX));
    ssize_t n = ::writev(file.fd(), &parts[first], count);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) file.fail_write(n < 0 ? errno : EIO);
    auto left = static_cast<std::size_t>(n);
    while (first < parts.size() && left >= parts[first].iov_len) left -= parts[first++].iov_len;
    if (left > 0) {
      parts[first].iov_base = static_cast<char*>(parts[first].iov_base) + left;
      parts[first].iov_len -= left;
    }
  }
}

}  // namespace

std::optional<std::int64_t> parse_login_time(std::string_view data) {
  if (data.empty() || data.size() > 18) return std::nullopt;
  std::int64_t value = 0;
  for (char c : data) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

int RoamingCdb::open(const std::string& path, CdbMapping mapping) {
  if (int err = cdb_.open(path, mapping); err != 0) return err;
  std::string_view marker;
  int err = EPROTO;
  if (cdb_.find("", marker) == 1 && marker == roaming_cdb_marker) {
    if (mapping != CdbMapping::private_copy) return 0;
    const bool whole = is_whole_cdb(cdb_.bytes()) &&
                       for_each([](std::string_view, std::int64_t) { return true; }) == 0;
    if (whole) return 0;
    err = EBADMSG;
  }
  cdb_ = CdbReader{};  // an unmapped reader: is_open() must not vouch for a foreign file
  return err;
}

int RoamingCdb::find(std::string_view ip, std::int64_t& last_login) {
  std::string_view data;
  int r = cdb_.find(ip, data);
  if (r <= 0) return r;
  std::optional<std::int64_t> time = parse_login_time(data);
  if (!time) return -1;
  last_login = *time;
  return 1;
}

int RoamingCdb::for_each(const Visitor& visit) {
  bool bad_record = false;
  int r = cdb_.for_each([&](std::string_view key, std::string_view data) {
    if (key.empty()) return true;  // the marker
    std::optional<std::int64_t> time = parse_login_time(data);
    if (!time) {
      bad_record = true;
      return false;
    }
    return visit(key, *time);
  });
  return bad_record ? -1 : r;
}

void sort_by_login_time(LoginEntries& entries) {
  std::stable_sort(entries.begin(), entries.end(),
                   [](const auto& a, const auto& b) { return a.second < b.second; });
}

void write_roaming_cdb(const std::string& path, const std::function<void(const AddEntry&)>& produce,
                       std::size_t expected_bytes, mode_t new_file_mode) {
  CdbImage image(expected_bytes);
  bool fits = image.add("", roaming_cdb_marker);
  produce([&](std::string_view ip, std::int64_t last_login) {
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, last_login);
    fits = fits && ec == std::errc{} && image.add(ip, std::string_view(digits, static_cast<std::size_t>(end - digits)));
  });
  AtomicFile file(path + ".tmp", path, new_file_mode);
  if (!fits || !image.finish()) file.fail_write(EFBIG);
  file.write(image.bytes());
  file.commit(Durability::durable);
}

bool replace_roaming_entry(const std::string& path, const struct stat& current, std::string_view ip,
                           std::int64_t last_login, mode_t new_file_mode) {
  if (ip.empty()) return false;
  const std::string key(ip);
  return rewrite_roaming_entries(
      path, current, [&](std::string_view other, std::int64_t) { return other != ip; },
      {{key, last_login}}, new_file_mode);
}

namespace {

// The new file's data area, piece by piece: ranges of the old file's records and of the added
// ones, in the order they are written.
class DataArea {
 public:
  DataArea(const unsigned char* old, std::string records) : old_(old), records_(std::move(records)) {}

  void add_old(std::uint32_t from, std::uint32_t to) { add(Piece{true, from, to}); }
  void add_new(std::uint32_t from, std::uint32_t to) { add(Piece{false, from, to}); }
  std::uint64_t end() const { return end_; }

  // The pieces as writev wants them, after the header and before the tables.
  void append_to(std::vector<iovec>& parts) const {
    for (const Piece& piece : pieces_) {
      const char* base = piece.old ? reinterpret_cast<const char*>(old_) : records_.data();
      parts.push_back(iovec{const_cast<char*>(base) + piece.from, std::size_t{piece.to - piece.from}});
    }
  }

 private:
  struct Piece {
    bool old;
    std::uint32_t from, to;
  };

  // Adjacent ranges of the same source are one piece: an unchanged stretch of the old file,
  // however many records, is one iovec.
  void add(Piece piece) {
    end_ += piece.to - piece.from;
    if (!pieces_.empty() && pieces_.back().old == piece.old && pieces_.back().to == piece.from)
      pieces_.back().to = piece.to;
    else
      pieces_.push_back(piece);
  }

  const unsigned char* old_;
  std::string records_;
  std::vector<Piece> pieces_;
  std::uint64_t end_ = header_size;
};

// The added entries as cdb records, in order of time (the caller's order among equal times),
// each with its range in the returned bytes. Empty when one cannot be a record.
struct NewRecords {
  std::string bytes;
  struct Record {
    std::string_view ip;
    std::int64_t last_login;
    std::uint32_t from, to;
  };
  std::vector<Record> in_time_order;
};

std::optional<NewRecords> encode_added(const LoginEntries& added) {
  std::vector<const std::pair<std::string, std::int64_t>*> order;
  for (const auto& entry : added) order.push_back(&entry);
  std::stable_sort(order.begin(), order.end(),
                   [](const auto* a, const auto* b) { return a->second < b->second; });
  NewRecords out;
  for (const auto* entry : order) {
    const auto& [ip, last_login] = *entry;
    char digits[24];
    auto [digits_end, ec] = std::to_chars(digits, digits + sizeof digits, last_login);
    if (ip.empty() || ec != std::errc{}) return std::nullopt;
    const std::string_view time(digits, static_cast<std::size_t>(digits_end - digits));
    const std::size_t from = out.bytes.size();
    if (from + 8 + ip.size() + time.size() > std::numeric_limits<std::uint32_t>::max())
      return std::nullopt;
    char lengths[8];
    put_u32(lengths, static_cast<std::uint32_t>(ip.size()));
    put_u32(lengths + 4, static_cast<std::uint32_t>(time.size()));
    out.bytes.append(lengths, sizeof lengths);
    out.bytes.append(ip);
    out.bytes.append(time);
    out.in_time_order.push_back(NewRecords::Record{ip, last_login, static_cast<std::uint32_t>(from),
                                                   static_cast<std::uint32_t>(out.bytes.size())});
  }
  return out;
}

}  // namespace

bool rewrite_roaming_entries(const std::string& path, const struct stat& current, const KeepEntry& keep,
                             const LoginEntries& added, mode_t new_file_mode) {
  FileMap old;
  if (!old.map(path, current)) return false;
  const unsigned char* mem = old.bytes();
  // The data area, as tinycdb's cdb_init sees it: up to the first hash table.
  const std::uint32_t data_end = get_u32(mem);
  if (data_end < header_size || data_end > old.size()) return false;
  std::optional<NewRecords> records = encode_added(added);
  if (!records) return false;
  const std::vector<NewRecords::Record> fresh = std::move(records->in_time_order);
  DataArea area(mem, std::move(records->bytes));

  std::vector<CdbSlot> slots;
  slots.reserve((data_end - header_size) / 24 + 2 + fresh.size());
  auto place = [&](std::string_view key, std::uint32_t from, std::uint32_t to, bool is_old) {
    if (area.end() + (to - from) > std::numeric_limits<std::uint32_t>::max()) return false;
    slots.push_back(CdbSlot{cdb_hash_of(key), static_cast<std::uint32_t>(area.end())});
    is_old ? area.add_old(from, to) : area.add_new(from, to);
    return true;
  };
  // The added entries go in before the first old one that is later, so that a file in order
  // of time stays so (relay-clear reads only its oldest entries).
  std::size_t next_fresh = 0;
  auto place_fresh_before = [&](std::optional<std::int64_t> time) {
    for (; next_fresh < fresh.size() && (!time || fresh[next_fresh].last_login < *time); ++next_fresh)
      if (!place(fresh[next_fresh].ip, fresh[next_fresh].from, fresh[next_fresh].to, false))
        return false;
    return true;
  };

  std::int64_t previous = 0;
  std::uint32_t pos = header_size;
  while (pos < data_end) {
    // Every length checked against the data area before it is used, as cdb_seqnext does.
    if (data_end - pos < 8) return false;
    const std::uint32_t key_length = get_u32(mem + pos);
    const std::uint32_t data_length = get_u32(mem + pos + 4);
    if (key_length > data_end - pos - 8 || data_length > data_end - pos - 8 - key_length)
      return false;
    const std::string_view key(reinterpret_cast<const char*>(mem) + pos + 8, key_length);
    const std::string_view data(key.data() + key_length, data_length);
    const std::uint32_t next = pos + 8 + key_length + data_length;
    if (pos == header_size) {
      if (!key.empty() || data != roaming_cdb_marker || !place(key, pos, next, true)) return false;
    } else {
      if (key.empty() || !is_canonical_time(data)) return false;
      const std::int64_t time = *parse_login_time(data);
      if (time < previous || !place_fresh_before(time)) return false;
      previous = time;
      if (keep(key, time) && !place(key, pos, next, true)) return false;
    }
    pos = next;
  }
  if (slots.empty() || !place_fresh_before(std::nullopt)) return false;  // no marker
  const std::uint64_t tables_at = area.end();
  if (tables_at + 16 * std::uint64_t{slots.size()} > std::numeric_limits<std::uint32_t>::max())
    return false;  // the long way round refuses it with EFBIG
  char header[header_size];
  std::vector<char> tables(16 * slots.size());
  build_cdb_index(slots, static_cast<std::uint32_t>(tables_at), header, tables.data());

  std::vector<iovec> parts;
  parts.push_back(iovec{header, sizeof header});
  area.append_to(parts);
  parts.push_back(iovec{tables.data(), tables.size()});

  AtomicFile file(path + ".tmp", path, new_file_mode);
  write_all(file, std::move(parts));
  file.commit(Durability::durable);
  return true;
}

}  // namespace ucspi
