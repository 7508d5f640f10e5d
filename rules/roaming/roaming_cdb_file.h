// The file format of the embedded roaming store: one cdb of its own (never tcp.smtp.cdb).
//
//   key ""            data "ucspi-relay roaming 1"   format marker, the first record
//   key <IP>          data <Unix seconds>            one record per IP, e.g.
//   key "10.1.2.3"    data "1700000000"
//
// <IP> is canonical_ip_text() (dotted quad, or RFC 5952 IPv6, never empty), <Unix seconds> the
// time of the last POP/IMAP login as 1 to 18 ASCII decimal digits, nothing else (no sign,
// space or newline). Each IP appears once. The empty key can never be an address, so it holds
// the marker: a file without it (a tcp.smtp.cdb given by mistake, random bytes) is "not a
// roaming cdb", which readers answer as unavailable and writers refuse to overwrite.
// Any tool can build the file (e.g. cdbmake with "+0,21:->ucspi-relay roaming 1" first).
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rules/roaming/atomic_file.h"
#include "rules/cdb/cdb_file.h"

namespace ucspi {

inline constexpr std::string_view roaming_cdb_marker = "ucspi-relay roaming 1";

std::optional<std::int64_t> parse_login_time(std::string_view data);

// A mapped roaming cdb, validated by its marker.
class RoamingCdb {
 public:
  // 0, ENOENT for a missing file, EPROTO for a file that is no roaming cdb (no marker),
  // EBADMSG for a corrupt one, else errno. A private copy is what the readers that decide
  // (tcpserver) and print (relay-list) take: they check the whole file once, so a store cut
  // or damaged anywhere relays nobody rather than the IPs whose records happen to survive.
  int open(const std::string& path, CdbMapping mapping = CdbMapping::shared);
  bool is_open() const { return cdb_.is_open(); }
  const struct stat& identity() const { return cdb_.identity(); }

  // 1 found (last_login set), 0 absent, -1 corrupt file or record.
  int find(std::string_view ip, std::int64_t& last_login);

  using Visitor = std::function<bool(std::string_view ip, std::int64_t last_login)>;
  // Every entry (the marker skipped) until visit returns false. 0, or -1 when corrupt.
  int for_each(const Visitor& visit);

 private:
  CdbReader cdb_;
};

// Writes a roaming cdb to path atomically: built in memory (cdb_image.h), written to
// path + ".tmp" in one write, fsynced and renamed over path (see AtomicFile for the
// directory, and for the new file's mode and owner: those of the file it replaces, else
// new_file_mode). produce() calls add(ip, last_login) once per entry; expected_bytes is a hint
// of the file's size (the one being replaced). Throws StoreError.
// Callers serialise writers (the lock file): the temp name is fixed.
using AddEntry = std::function<void(std::string_view ip, std::int64_t last_login)>;
void write_roaming_cdb(const std::string& path, const std::function<void(const AddEntry&)>& produce,
                       std::size_t expected_bytes = 0,
                       mode_t new_file_mode = default_store_file_mode);

// The store's writers keep the base in order of time (oldest first; see rewrite_roaming_entries),
// so that relay-clear finds what it expires at the start of the file and reads no further.

// Entries (IP, last login) oldest first; entries of equal times keep their order.
using LoginEntries = std::vector<std::pair<std::string, std::int64_t>>;
void sort_by_login_time(LoginEntries& entries);

// The same file write_roaming_cdb writes for the entries of the roaming cdb at path (which
// must still be the file identified by current) in file order, the one for ip dropped and
// (ip, last_login) added before the first later entry (last, for a login now), built without
// copying the other records: they are checked in the mapped file and written straight from it
// with one writev. Returns false, having written nothing, when the file is not exactly as the
// store's writers leave it (the marker first and only once, every time in canonical digits
// and in order of time, records filling the data area) or no longer the one opened: the
// caller then goes the long way round, which copes with any valid file and refuses corrupt
// ones. Throws StoreError when writing fails.
// new_file_mode serves only when the file has gone meanwhile, as for write_roaming_cdb.
bool replace_roaming_entry(const std::string& path, const struct stat& current, std::string_view ip,
                           std::int64_t last_login, mode_t new_file_mode = default_store_file_mode);

// The same for many entries at once, as a fold needs: the entries keep() accepts, in file
// order, with each of added (IPs that keep() must have refused, or they appear twice) put in
// before the first of them that is later; added entries of equal times keep their order.
// Written straight from the mapped file; false, having written nothing, as above.
using KeepEntry = std::function<bool(std::string_view ip, std::int64_t last_login)>;
bool rewrite_roaming_entries(const std::string& path, const struct stat& current, const KeepEntry& keep,
                             const LoginEntries& added,
                             mode_t new_file_mode = default_store_file_mode);

}  // namespace ucspi
