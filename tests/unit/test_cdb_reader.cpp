// CdbReader's private copy: what tcpserver, tcprulescheck and relay-list rely on when an admin
// rewrites a cdb in place (`cat new > rules.cdb`) while they read it.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <string>

#include "rules/base/unique_fd.h"
#include "rules/cdb/cdb_file.h"
#include "tests/unit/roaming_test_support.h"

using namespace ucspi;
using namespace ucspi::test;

namespace {

void write_rules_cdb(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644));
  REQUIRE(fd);
  CdbWriter writer(fd.get());
  REQUIRE(writer.add("10.0.0.1", "+RELAYCLIENT="));
  REQUIRE(writer.finish());
}

// What `cat new > path` does: cut the file to nothing, then write other bytes into it.
void rewrite_in_place(const std::string& path, std::size_t size) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC));
  REQUIRE(fd);
  const std::string junk(size, 'x');
  REQUIRE(::write(fd.get(), junk.data(), junk.size()) == static_cast<ssize_t>(junk.size()));
}

}  // namespace

TEST_CASE("a private copy answers from the file as opened after it is cut and rewritten",
          "[cdb]") {
  TempDir dir;
  const std::string path = dir / "rules.cdb";
  write_rules_cdb(path);
  CdbReader reader;
  REQUIRE(reader.open(path, CdbMapping::private_copy) == 0);

  // A reader that mapped the file itself would die of SIGBUS on the pages cut away.
  rewrite_in_place(path, 100);
  std::string_view data;
  REQUIRE(reader.find("10.0.0.1", data) == 1);
  CHECK(data == "+RELAYCLIENT=");
  CHECK(reader.bytes().size() >= 2048);
}

TEST_CASE("a file cut below the cdb header is refused with EPROTO, copied or mapped", "[cdb]") {
  TempDir dir;
  const std::string path = dir / "rules.cdb";
  write_rules_cdb(path);
  rewrite_in_place(path, 100);
  CdbReader reader;
  CHECK(reader.open(path, CdbMapping::private_copy) == EPROTO);
  CHECK_FALSE(reader.is_open());
  CHECK(reader.open(path, CdbMapping::shared) == EPROTO);
  rewrite_in_place(path, 0);
  CHECK(reader.open(path, CdbMapping::private_copy) == EPROTO);
  CHECK_FALSE(reader.is_open());
}
