#include <catch2/catch.hpp>

#include "store_spec.h"

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
