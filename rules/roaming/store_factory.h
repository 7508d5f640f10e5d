// The store factory: which code reads and writes a store, and which relay window applies.
// tcpserver and the relay tools ask it and so know no store kind. The file stores are read and
// written in process. A store that needs a database client is read by a helper program that
// tcpserver starts (doc/store-helper-protocol.md) and written by a program of its own, both
// installed beside the caller, so that neither tcpserver nor relay-allow loads the client.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rules/roaming/roaming_store.h"
#include "rules/roaming/store_spec.h"

namespace ucspi {

// A program of ours, installed beside the one that runs it.
struct StoreProgram {
  std::string name;               // e.g. "relay-mysql"
  std::vector<std::string> args;  // after the name
};

// The relay window: requested (-w) if given, else the store's own (a MySQL config's `time`),
// else default_relay_window. Throws StoreError when the store's config cannot be read.
std::int64_t store_window(const StoreSpec& spec, std::optional<std::int64_t> requested);

// How tcpserver reads a store: a lookup in process, or a helper program to start.
struct StoreReader {
  std::unique_ptr<RoamingLookup> lookup;
  std::optional<StoreProgram> helper;  // "relay-mysql serve CONFIGFILE"
  std::int64_t window = 0;
};
// Reads and checks the store's config now (a bad one is an error at startup, never a quiet
// store that relays nobody, nor the -S patch's open relay). Throws StoreError.
StoreReader open_store_reader(const StoreSpec& spec, std::optional<std::int64_t> requested);

// How the relay tools write a store: an admin in process, or the program that must run the
// whole tool instead (run as `PROGRAM TOOL ARGS...`, e.g. `relay-mysql allow -s ...`). The
// tools' cdb: and relay-ctrl: files get spec.new_file_mode when they are new; relay-ctrl's
// carry USER and DOMAIN from this process's environment, as relay-ctrl-allow's do.
struct StoreWriter {
  std::unique_ptr<RoamingAdmin> admin;
  std::string program;
};
StoreWriter open_store_writer(const StoreSpec& spec);

}  // namespace ucspi
