// main() of relay-allow, relay-clear, relay-list and relay-import, built once per tool with
// RELAY_TOOL_NAME (relay-mysql's name for it) and RELAY_TOOL_MAIN (its main function).
#include "tools/local_tool_stores.h"

int main(int argc, char** argv) {
  ucspi::LocalToolStores stores(RELAY_TOOL_NAME, argc, argv);
  return ucspi::RELAY_TOOL_MAIN(argc, argv, stores);
}
