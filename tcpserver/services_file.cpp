#include "tcpserver/services_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "rules/base/unique_fd.h"

namespace ucspi {
namespace {

std::string read_small_file(const char* path) {
  std::string text;
  UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
  if (!fd) return text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd.get(), buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
  return text;
}

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// The next blank-separated word of line, consumed.
std::string_view next_word(std::string_view& line) {
  std::size_t start = 0;
  while (start < line.size() && is_blank(line[start])) ++start;
  std::size_t end = start;
  while (end < line.size() && !is_blank(line[end])) ++end;
  std::string_view word = line.substr(start, end - start);
  line.remove_prefix(end);
  return word;
}

// "25/tcp" -> 25, when the protocol is tcp and the number a port.
std::optional<unsigned short> tcp_port_of(std::string_view field) {
  const std::size_t slash = field.find('/');
  if (slash == std::string_view::npos || slash == 0 || field.substr(slash + 1) != "tcp")
    return std::nullopt;
  unsigned long port = 0;
  for (char c : field.substr(0, slash)) {
    if (c < '0' || c > '9' || port > 65535) return std::nullopt;
    port = port * 10 + static_cast<unsigned long>(c - '0');
  }
  if (port > 65535) return std::nullopt;
  return static_cast<unsigned short>(port);
}

}  // namespace

std::optional<unsigned short> tcp_service_port(std::string_view name, const char* path) {
  if (name.empty()) return std::nullopt;
  const std::string text = read_small_file(path);
  std::string_view rest = text;
  while (!rest.empty()) {
    std::size_t newline = rest.find('\n');
    std::string_view line = rest.substr(0, newline);
    rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
    line = line.substr(0, line.find('#'));
    const std::string_view official = next_word(line);
    const std::optional<unsigned short> port = tcp_port_of(next_word(line));
    if (!port) continue;
    if (official == name) return port;
    for (std::string_view alias = next_word(line); !alias.empty(); alias = next_word(line))
      if (alias == name) return port;
  }
  return std::nullopt;
}

}  // namespace ucspi
