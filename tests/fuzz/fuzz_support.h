// What the fuzz targets share: a property check that aborts (so libFuzzer keeps the input),
// and a memfd that stands for a file whose path a parser wants.
#pragma once

#include <fcntl.h>
#include <fuzzer/FuzzedDataProvider.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace ucspi::fuzz {

// A property that failed: the message goes to stderr, and abort() makes it a crash.
#define FUZZ_CHECK(condition)                                                               \
  do {                                                                                      \
    if (!(condition)) {                                                                     \
      std::fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                         \
    }                                                                                       \
  } while (0)

inline std::string_view bytes_of(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Where the reads of a stream split it: up to max_cuts offsets, taken from the input's end
// (FuzzedDataProvider's integers), in order. The rest of the input is the stream.
inline std::vector<std::size_t> take_cuts(FuzzedDataProvider& provider, std::size_t max_cuts) {
  std::vector<std::size_t> cuts(provider.ConsumeIntegralInRange<std::size_t>(0, max_cuts));
  for (std::size_t& cut : cuts) cut = provider.ConsumeIntegral<std::uint16_t>();
  std::sort(cuts.begin(), cuts.end());
  return cuts;
}

// Hands bytes to feed(chunk) in the pieces cuts make, the last piece the rest, and stops at
// the first feed that returns true (a reader that has what it wanted). Returns that.
template <typename Feed>
bool feed_in_chunks(std::string_view bytes, const std::vector<std::size_t>& cuts, Feed&& feed) {
  std::size_t at = 0;
  for (std::size_t cut : cuts) {
    cut = std::min(cut, bytes.size());
    if (cut < at) continue;
    if (feed(bytes.substr(at, cut - at))) return true;
    at = cut;
  }
  return feed(bytes.substr(at));
}

// One memfd per target, rewritten for each input: CdbReader, RoamingCdb and load_mysql_config
// open it again through /proc/self/fd/N, and nothing reaches the disk.
class MemFile {
 public:
  explicit MemFile(const char* name) : fd_(::memfd_create(name, MFD_CLOEXEC)) {
    if (fd_ < 0) {
      std::perror("memfd_create");
      std::abort();
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  ~MemFile() { ::close(fd_); }

  // Makes the file hold exactly bytes, its offset at the start.
  void assign(std::string_view bytes) {
    FUZZ_CHECK(::ftruncate(fd_, 0) == 0);
    std::size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
      FUZZ_CHECK(n > 0);
      done += static_cast<std::size_t>(n);
    }
    rewind();
  }

  // Empties the file, for a writer.
  void clear() { assign({}); }
  void rewind() { FUZZ_CHECK(::lseek(fd_, 0, SEEK_SET) == 0); }

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

 private:
  int fd_;
  std::string path_;
};

// Writes bytes to a real file at path (created or truncated), for code that renames files.
inline void write_file(const std::string& path, std::string_view bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  FUZZ_CHECK(fd >= 0);
  FUZZ_CHECK(::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  ::close(fd);
}

}  // namespace ucspi::fuzz
