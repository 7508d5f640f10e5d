#include "roaming_cdb_file.h"

#include <cerrno>
#include <charconv>
#include <string>

#include "atomic_file.h"
#include "cdb_image.h"

namespace ucspi {

std::optional<std::int64_t> parse_login_time(std::string_view data) {
  if (data.empty() || data.size() > 18) return std::nullopt;
  std::int64_t value = 0;
  for (char c : data) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

int RoamingCdb::open(const std::string& path) {
  if (int err = cdb_.open(path.c_str()); err != 0) return err;
  std::string_view marker;
  if (cdb_.find("", marker) == 1 && marker == roaming_cdb_marker) return 0;
  cdb_ = CdbReader{};  // an unmapped reader: is_open() must not vouch for a foreign file
  return EPROTO;
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

void write_roaming_cdb(const std::string& path, const std::function<void(const AddEntry&)>& produce,
                       std::size_t expected_bytes) {
  CdbImage image(expected_bytes);
  bool fits = image.add("", roaming_cdb_marker);
  produce([&](std::string_view ip, std::int64_t last_login) {
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, last_login);
    fits = fits && ec == std::errc{} && image.add(ip, std::string_view(digits, end - digits));
  });
  AtomicFile file(path + ".tmp", path, 0644);
  if (!fits || !image.finish()) file.fail_write(EFBIG);
  file.write(image.bytes());
  file.commit(Durability::durable);
}

}  // namespace ucspi
