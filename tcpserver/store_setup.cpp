#include "tcpserver/store_setup.h"

#include "rules/base/sibling_program.h"
#include "rules/roaming/store_factory.h"
#include "tcpserver/helper_lookup.h"

namespace ucspi {

RoamingSetup open_roaming_store(const std::string& text, event_base* base,
                                std::optional<std::int64_t> window, const Logger& log,
                                ChildRegistry& children) {
  const StoreSpec spec = parse_store_spec(text);
  StoreReader reader = open_store_reader(spec, window);
  RoamingSetup setup;
  setup.kind = store_kind_name(spec.kind);
  setup.label = text;
  if (!reader.helper) {
    setup.lookup = std::move(reader.lookup);
    return setup;
  }
  const StoreProgram& program = *reader.helper;
  const std::optional<std::string> path = sibling_program(program.name);
  if (!path) throw StoreError("unable to find " + program.name + ": cannot read /proc/self/exe");
  HelperCommand command{{*path}, program.name};
  command.argv.insert(command.argv.end(), program.args.begin(), program.args.end());
  setup.lookup = make_helper_lookup(base, children, log, std::move(command), reader.window);
  return setup;
}

}  // namespace ucspi
