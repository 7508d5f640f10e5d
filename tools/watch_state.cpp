#include "tools/watch_state.h"

#include <cerrno>
#include <charconv>
#include <stdexcept>
#include <sys/stat.h>

#include "rules/base/read_regular_file.h"
#include "rules/roaming/atomic_file.h"

namespace ucspi {
namespace {

constexpr std::string_view hex_digits = "0123456789abcdef";

std::string to_hex(std::string_view bytes) {
  std::string hex;
  for (const char c : bytes) {
    const auto byte = static_cast<std::size_t>(static_cast<unsigned char>(c));
    hex += hex_digits[byte >> 4];
    hex += hex_digits[byte & 15];
  }
  return hex;
}

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string bytes;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const std::size_t high = hex_digits.find(hex[i]), low = hex_digits.find(hex[i + 1]);
    if (high == std::string_view::npos || low == std::string_view::npos) return std::nullopt;
    bytes += static_cast<char>(high * 16 + low);
  }
  return bytes;
}

// The next blank-separated word of text, consumed.
std::string_view next_word(std::string_view& text) {
  const std::size_t end = text.find(' ');
  const std::string_view word = text.substr(0, end);
  text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  return word;
}

std::optional<std::uint64_t> number(std::string_view word) {
  std::uint64_t value = 0;
  const auto [end, err] = std::from_chars(word.data(), word.data() + word.size(), value);
  if (word.empty() || err != std::errc() || end != word.data() + word.size()) return std::nullopt;
  return value;
}

}  // namespace

std::string format_position(const FilePosition& position) {
  const std::string recent = position.recent.empty() ? "-" : to_hex(position.recent);
  return "v1 " + std::to_string(position.device) + ' ' + std::to_string(position.inode) + ' ' +
         std::to_string(position.offset) + ' ' + recent + '\n';
}

std::optional<FilePosition> parse_position(std::string_view text) {
  if (!text.ends_with('\n')) return std::nullopt;
  text.remove_suffix(1);
  if (next_word(text) != "v1") return std::nullopt;
  const std::optional<std::uint64_t> device = number(next_word(text)),
                                     inode = number(next_word(text)),
                                     offset = number(next_word(text));
  const std::string_view hex = next_word(text);
  if (!device || !inode || !offset || !text.empty()) return std::nullopt;
  std::optional<std::string> recent = hex == "-" ? std::string() : from_hex(hex);
  if (!recent || recent->empty() == (hex != "-") || recent->size() > FilePosition::recent_bytes ||
      recent->size() > *offset)
    return std::nullopt;
  return FilePosition{*device, *inode, *offset, std::move(*recent)};
}

std::optional<FilePosition> load_position(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == -1 && errno == ENOENT) return std::nullopt;
  std::string text;
  if (const std::string problem = read_regular_file(path, text); !problem.empty())
    throw std::runtime_error("unable to read " + path + ": " + problem);
  std::optional<FilePosition> position = parse_position(text);
  if (!position) throw std::runtime_error(path + " is not a relay-watch state file");
  return position;
}

void save_position(const std::string& path, const FilePosition& position) {
  AtomicFile file(path + ".tmp", path, default_store_file_mode);
  file.write(format_position(position));
  file.commit(Durability::durable);
}

}  // namespace ucspi
