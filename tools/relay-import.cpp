// relay-import [ -s store ] [ -m mode ] [ -x ] [ -w seconds ] source
// Copies the roaming logins of another system into a store, to move to our tools: source is
// open-smtp:FILE (vpopmail's ~vpopmail/etc/open-smtp), relay-ctrl:DIR (relay-ctrl's
// $RELAY_CTRL_DIR), mysql:CONFIGFILE (vpopmail's `relay` table, through a -S config file) or
// cdb:PATH (one of our stores); how each is read: import_source.h. The store is -s, else
// $RELAY_STORE, as for relay-allow; a store file this program creates gets mode -m (default
// 0644), as relay-allow's.
//
// Every login is imported, however old (an old one relays nobody, and relay-clear removes it);
// -x skips the ones relay-clear would remove, at least the window old: -w seconds, else the
// store's (1800 s, or a MySQL config's `time`). -w implies -x. Rerunning an import writes
// nothing: an IP the store holds with a login as new or newer is left alone, and an IP the
// source holds twice gets its newest login (import_plan.h). The store is read once, before
// writing: a login that relay-allow records in between may be written over by an older
// imported one (that client relays again from its next login), so import before the switch.
// Imported relay-ctrl files are empty: the USER and DOMAIN of whoever runs the import are not
// the clients'.
//
// Output: one line per IP written, "IP SECONDS" sorted by IP, on stdout; on stderr
// "relay-import: warning: skipped SOURCE[ WHERE]: [TEXT: ]REASON" per entry left out, then
// "relay-import: imported N of M logins from SOURCE (K already in the store, L skipped)".
// Exit 0 when done (skipped entries included), 100 usage (a bad option value included) or a
// bad $RELAY_STORE, 111 when the source or the store cannot be read or written (what was
// written stays; a rerun completes it).
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "rules/base/messages.h"
#include "rules/base/write_all.h"
#include "rules/roaming/store_factory.h"
#include "tools/import_plan.h"
#include "tools/import_source.h"
#include "tools/tool_args.h"
#include "tools/tool_stores.h"

using namespace ucspi;

namespace {

constexpr Usage usage{"relay-import",
                      "relay-import [ -s store ] [ -m mode ] [ -x ] [ -w seconds ] source"};
constexpr std::string_view fatal = "relay-import: fatal: ";

struct ImportArgs {
  std::optional<StoreSpec> store;  // -s
  mode_t new_file_mode = default_store_file_mode;
  bool skip_expired = false;  // -x
  std::optional<std::int64_t> window;
  ImportSource source;
};

ImportSource source_argument(const char* text) {
  try {
    return parse_import_source(text);
  } catch (const StoreError& e) {
    usage.die(e.what());
  }
}

ImportArgs parse_args(int argc, char** argv) {
  ImportArgs args;
  parse_options(argc, argv, "s:m:xw:", usage, [&](int option, const char* value) {
    switch (option) {
      case 's': args.store = store_option(value, usage); break;
      case 'm': args.new_file_mode = mode_option(value, usage); break;
      case 'x': args.skip_expired = true; break;
      default:  // 'w'
        args.window = window_option(value, usage);
        args.skip_expired = true;
    }
  });
  if (optind + 1 != argc) usage.die();
  args.source = source_argument(argv[optind]);
  return args;
}

StoreSpec target_spec(const ImportArgs& args) {
  StoreSpec spec = chosen_store(args.store, args.new_file_mode, usage);
  spec.refresh_interval = 0;  // a login even a second newer than the stored one is written
  return spec;
}

void print_skipped(const std::string& source, const SkippedEntry& skipped) {
  const std::string where = skipped.where.empty() ? "" : " " + skipped.where;
  const std::string text = skipped.text.empty() ? "" : skipped.text + ": ";
  print_line({"relay-import: warning: skipped ", source, where, ": ", text, skipped.reason});
}

void print_imported(const ImportEntry& entry) {
  const std::string line = entry.ip + ' ' + std::to_string(entry.last_login) + '\n';
  if (int err = write_all(1, line); err != 0)
    die_sys(err, {"relay-import: fatal: unable to write output"});
}

void record(RoamingAdmin& target, const ImportEntry& entry) {
  try {
    target.record(entry.ip, entry.last_login);
  } catch (const StoreError& e) {
    die(111, {fatal, "unable to record ", entry.ip, ": ", e.what()});
  }
  print_imported(entry);
}

}  // namespace

int ucspi::relay_import_main(int argc, char** argv, ToolStores& stores) {
  const ImportArgs args = parse_args(argc, argv);
  const StoreSpec spec = target_spec(args);
  // The relay-ctrl store writes these into each file it records (store_factory.h).
  ::unsetenv("USER");
  ::unsetenv("DOMAIN");
  try {
    ImportPolicy policy{unix_now(), std::nullopt};
    if (args.skip_expired) policy.expiry_window = store_window(spec, args.window);
    // Both stores are opened before anything is printed: either may hand the whole run over
    // to relay-mysql (tool_stores.h), which then prints it all.
    std::unique_ptr<RoamingAdmin> target = stores.open_admin(spec);
    const SourceEntries source = read_import_source(args.source, stores);
    const ImportPlan plan = plan_import(source.entries, target->list(), policy);
    for (const SkippedEntry& skipped : source.skipped) print_skipped(args.source.name, skipped);
    for (const SkippedEntry& skipped : plan.skipped) print_skipped(args.source.name, skipped);
    for (const ImportEntry& entry : plan.record) record(*target, entry);
    const std::size_t total = source.entries.size() + source.skipped.size();
    print_line({"relay-import: imported ", std::to_string(plan.record.size()), " of ",
                std::to_string(total), " logins from ", args.source.name, " (",
                std::to_string(plan.up_to_date.size()), " already in the store, ",
                std::to_string(source.skipped.size() + plan.skipped.size()), " skipped)"});
  } catch (const StoreError& e) {
    die(111, {fatal, e.what()});
  }
  return 0;
}
