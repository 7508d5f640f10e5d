#include "rules/cdb/cdb_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>

#include <cerrno>
#include <utility>

#include "rules/base/read_regular_file.h"

namespace ucspi {
namespace {

// The first st.st_size bytes of from, copied in the kernel into a sealed memfd nobody else can
// shrink, grow or write. EPROTO when the file ends sooner: a writer is rewriting it in place.
int copy_to_memory(int from, const struct stat& st, UniqueFd& out) {
  UniqueFd mem(::memfd_create("cdb", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!mem) return errno;
  off_t offset = 0;
  while (offset < st.st_size) {
    const ssize_t n = ::sendfile(mem.get(), from, &offset, static_cast<std::size_t>(st.st_size - offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return EPROTO;
  }
  if (::fcntl(mem.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
    return errno;
  out = std::move(mem);
  return 0;
}

}  // namespace

CdbReader::CdbReader(CdbReader&& other) noexcept
    : fd_(std::move(other.fd_)), cdb_(other.cdb_), stat_(other.stat_),
      mapped_(std::exchange(other.mapped_, false)) {}

CdbReader& CdbReader::operator=(CdbReader&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::move(other.fd_);
    cdb_ = other.cdb_;
    stat_ = other.stat_;
    mapped_ = std::exchange(other.mapped_, false);
  }
  return *this;
}

CdbReader::~CdbReader() { close(); }

void CdbReader::close() {
  if (mapped_) cdb_free(&cdb_);
  mapped_ = false;
  fd_.reset();
}

int CdbReader::open(const char* path, CdbMapping mapping) {
  close();
  UniqueFd fd;
  struct stat st {};
  // mmap fails on anything that is not a regular file; the caller drops the connection.
  if (const int err = open_regular(path, fd, st); err != 0) return err;
  // Copied whatever its size: a file cut short by a writer (`cat new > rules.cdb`) may have
  // grown past the 2048-byte header by the time tinycdb looks, and mapping it then would let
  // the next rewrite fault this reader. tinycdb rejects a short copy with EPROTO.
  if (mapping == CdbMapping::private_copy) {
    UniqueFd copy;
    if (const int err = copy_to_memory(fd.get(), st, copy); err != 0) return err;
    fd = std::move(copy);
  }
  errno = 0;
  if (cdb_init(&cdb_, fd.get()) != 0) return errno ? errno : EPROTO;
  // A private copy is read whole at once (is_whole_cdb): its page tables filled in one call
  // rather than by a fault per page, which under a hypervisor made most of the time it takes
  // to open a 45 MB store. A kernel before 5.14 says EINVAL: the faults then do it.
  if (mapping == CdbMapping::private_copy && cdb_.cdb_fsize > 0)
    ::madvise(const_cast<unsigned char*>(cdb_.cdb_mem), cdb_.cdb_fsize, MADV_POPULATE_READ);
  fd_ = std::move(fd);
  stat_ = st;
  mapped_ = true;
  return 0;
}

std::string_view CdbReader::bytes() const {
  if (!mapped_) return {};
  // tinycdb maps at most 4 GB: its own size, never more than the mapping holds.
  const unsigned size = cdb_.cdb_fsize;
  const void* p = cdb_get(&cdb_, size, 0);
  return p ? std::string_view(static_cast<const char*>(p), size) : std::string_view{};
}

int CdbReader::find(std::string_view key, std::string_view& data) {
  int r = cdb_find(&cdb_, key.data(), static_cast<unsigned>(key.size()));
  if (r <= 0) {
    if (r < 0) errno = EPROTO;
    return r;
  }
  const char* p = static_cast<const char*>(cdb_getdata(&cdb_));
  if (p == nullptr) {
    errno = EPROTO;
    return -1;
  }
  data = std::string_view(p, cdb_datalen(&cdb_));
  return 1;
}

int CdbReader::for_each(const Visitor& visit) {
  unsigned pos = 0;
  cdb_seqinit(&pos, &cdb_);
  int r;
  while ((r = cdb_seqnext(&pos, &cdb_)) > 0) {
    const char* key = static_cast<const char*>(cdb_getkey(&cdb_));
    const char* data = static_cast<const char*>(cdb_getdata(&cdb_));
    if (key == nullptr || data == nullptr) break;
    if (!visit(std::string_view(key, cdb_keylen(&cdb_)), std::string_view(data, cdb_datalen(&cdb_))))
      return 0;
  }
  if (r == 0) return 0;
  errno = EPROTO;
  return -1;
}

CdbWriter::CdbWriter(int fd) {
  if (cdb_make_start(&make_, fd) != 0) start_error_ = errno ? errno : ENOMEM;
}

// tinycdb frees its record lists only in cdb_make_finish and offers no way to abandon a
// cdb_make. Writers are used by short-lived tools that exit after an abandoned build, so the
// lists stay reachable until exit instead of writing an index into a file we are discarding.
CdbWriter::~CdbWriter() = default;

bool CdbWriter::add(std::string_view key, std::string_view data) {
  return cdb_make_add(&make_, key.data(), static_cast<unsigned>(key.size()), data.data(),
                      static_cast<unsigned>(data.size())) == 0;
}

bool CdbWriter::finish() {
  return cdb_make_finish(&make_) == 0;
}

bool same_file(const struct stat& a, const struct stat& b) {
  // ctime too: a file rewritten in place within one mtime tick, or with its mtime put back
  // (cp -p, touch -r), still changes it.
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_size == b.st_size &&
         a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec &&
         a.st_ctim.tv_sec == b.st_ctim.tv_sec && a.st_ctim.tv_nsec == b.st_ctim.tv_nsec;
}

}  // namespace ucspi
