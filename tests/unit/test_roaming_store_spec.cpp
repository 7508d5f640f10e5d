#include <catch2/catch.hpp>

#include <optional>

#include "rules/roaming/roaming_store.h"
#include "rules/roaming/store_factory.h"
#include "rules/roaming/store_spec.h"

using namespace ucspi;

TEST_CASE("store names parse by prefix", "[roaming][spec]") {
  StoreSpec cdb = parse_store_spec("cdb:/var/qmail/roaming.cdb");
  CHECK(cdb.kind == StoreKind::cdb);
  CHECK(cdb.path == "/var/qmail/roaming.cdb");
  CHECK(parse_store_spec("mysql:/var/qmail/control/sql").kind == StoreKind::mysql);
  StoreSpec dir = parse_store_spec("relay-ctrl:/var/spool/relay-ctrl/allow");
  CHECK(dir.kind == StoreKind::relay_ctrl);
  CHECK(dir.path == "/var/spool/relay-ctrl/allow");
  CHECK(parse_store_spec("cdb:a:b").path == "a:b");
}

TEST_CASE("bad store names are clear errors", "[roaming][spec]") {
  CHECK_THROWS_WITH(parse_store_spec("/var/qmail/roaming.cdb"),
                    Catch::Contains("expected cdb:PATH, mysql:CONFIGFILE or relay-ctrl:DIR"));
  CHECK_THROWS_WITH(parse_store_spec("cdb:"), Catch::Contains("names no file"));
  CHECK_THROWS_AS(parse_store_spec(""), StoreError);
  CHECK_THROWS_AS(parse_store_spec("CDB:/x"), StoreError);
  CHECK_THROWS_AS(parse_store_spec("relayctrl:/x"), StoreError);
}

TEST_CASE("the window defaults to 1800 s unless given", "[roaming][spec]") {
  StoreSpec cdb = parse_store_spec("cdb:/nonexistent/x.cdb");
  CHECK(store_window(cdb, std::nullopt) == 1800);
  CHECK(store_window(cdb, 900) == 900);
  CHECK(store_window(parse_store_spec("relay-ctrl:/x"), std::nullopt) == 1800);
  CHECK(store_window(parse_store_spec("mysql:/nonexistent/sql"), 60) == 60);
  CHECK_THROWS_AS(store_window(parse_store_spec("mysql:/nonexistent/sql"), std::nullopt),
                  StoreError);
}

TEST_CASE("a store's kind has one name, its prefix", "[roaming][spec]") {
  CHECK(store_kind_name(StoreKind::cdb) == "cdb");
  CHECK(store_kind_name(StoreKind::mysql) == "mysql");
  CHECK(store_kind_name(StoreKind::relay_ctrl) == "relay-ctrl");
  CHECK(parse_store_spec("relay-ctrl:/x").kind == StoreKind::relay_ctrl);
  CHECK_THROWS_AS(parse_store_spec("relay-ctrlx:/x"), StoreError);
}

TEST_CASE("the factory reads the file stores in process and names the helper of the others",
          "[roaming][spec]") {
  StoreReader cdb = open_store_reader(parse_store_spec("cdb:/nonexistent/x.cdb"), 60);
  CHECK(cdb.lookup != nullptr);
  CHECK_FALSE(cdb.helper);
  CHECK(cdb.window == 60);
  CHECK_THROWS_AS(open_store_reader(parse_store_spec("mysql:/nonexistent/sql"), 60), StoreError);
  StoreWriter writer = open_store_writer(parse_store_spec("mysql:/nonexistent/sql"));
  CHECK(writer.admin == nullptr);
  CHECK(writer.program == "relay-mysql");
  CHECK(open_store_writer(parse_store_spec("relay-ctrl:/x")).admin != nullptr);
}
