// Whether a cdb is whole: tinycdb checks a file only as far as each lookup reads it, so a file
// cut inside its hash tables, or with a table zeroed or pointing elsewhere, still answers the
// keys whose slots survive. A reader that must trust all of a file or none of it (the roaming
// store: a corrupt store relays nobody) checks it once, when it opens it.
#pragma once

#include <string_view>

namespace ucspi {

// True when bytes are a cdb as cdb_make lays one out: the 2048-byte header's 256 tables lie
// after the records and inside the file, the records follow one another exactly up to the
// first table, and the tables hold one slot per record, each slot naming the start of a record
// whose key hashes to the slot's hash and belongs in that table, where cdb_find looks for
// it. O(size).
bool is_whole_cdb(std::string_view bytes);

}  // namespace ucspi
