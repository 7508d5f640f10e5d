#include "tools/relay_ctrl_source.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "rules/roaming/roaming_store.h"

namespace ucspi {

SourceEntries parse_relay_ctrl_files(const std::vector<DirectoryFile>& files) {
  SourceEntries out;
  for (const DirectoryFile& file : files) {
    if (file.name.empty() || file.name.front() == '.') continue;
    if (!file.regular)
      out.skipped.push_back({"", file.name, "not a regular file"});
    else
      add_source_entry(out, file.name, file.mtime, "");
  }
  return out;
}

std::vector<DirectoryFile> read_directory_files(const std::string& dir) {
  std::unique_ptr<DIR, int (*)(DIR*)> stream(::opendir(dir.c_str()), &::closedir);
  if (!stream) throw_store_error("unable to open directory ", dir, errno);
  std::vector<DirectoryFile> files;
  errno = 0;
  while (const struct dirent* entry = ::readdir(stream.get())) {
    struct stat st {};
    if (::fstatat(::dirfd(stream.get()), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
      files.push_back({entry->d_name, S_ISREG(st.st_mode), static_cast<std::int64_t>(st.st_mtime)});
    } else if (errno != ENOENT) {  // ENOENT: expired (relay-ctrl-age) since readdir saw it
      throw_store_error("unable to read ", dir + '/' + entry->d_name, errno);
    }
    errno = 0;
  }
  if (errno != 0) throw_store_error("unable to read directory ", dir, errno);
  std::sort(files.begin(), files.end(),
            [](const DirectoryFile& a, const DirectoryFile& b) { return a.name < b.name; });
  return files;
}

}  // namespace ucspi
