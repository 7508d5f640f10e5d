// The store helper protocol: netstrings, socketmap requests and replies, the relay map's data.
#include <catch2/catch.hpp>

#include "rules/roaming/socketmap.h"

using namespace ucspi;

namespace {

std::vector<std::string> payloads_of(NetstringReader& reader) {
  std::vector<std::string> out;
  std::string payload;
  while (reader.next(payload) == NetstringReader::Status::ready) out.push_back(payload);
  return out;
}

}  // namespace

TEST_CASE("netstrings round trip whatever the chunks", "[socketmap]") {
  const std::string stream = netstring("relay 10.0.0.1") + netstring("") + netstring("a,b:c");
  CHECK(stream == "14:relay 10.0.0.1,0:,5:a,b:c,");
  for (std::size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    NetstringReader reader(100);
    std::vector<std::string> got;
    for (std::size_t at = 0; at < stream.size(); at += chunk) {
      reader.feed(std::string_view(stream).substr(at, chunk));
      for (std::string& p : payloads_of(reader)) got.push_back(p);
    }
    CHECK(got == std::vector<std::string>{"relay 10.0.0.1", "", "a,b:c"});
  }
}

TEST_CASE("a malformed netstring breaks the stream for good", "[socketmap]") {
  const char* bad = GENERATE("x:abc,", ":abc,", "3:abcd", "01:a,", "3;abc,", "-1:a,", "1001:");
  NetstringReader reader(1000);
  reader.feed(bad);
  std::string payload;
  CHECK(reader.next(payload) == NetstringReader::Status::malformed);
  reader.feed("1:a,");
  CHECK(reader.next(payload) == NetstringReader::Status::malformed);
}

TEST_CASE("an incomplete netstring waits for more", "[socketmap]") {
  NetstringReader reader(1000);
  std::string payload;
  CHECK(reader.next(payload) == NetstringReader::Status::need_more);
  reader.feed("10");
  CHECK(reader.next(payload) == NetstringReader::Status::need_more);
  reader.feed("00:");
  CHECK(reader.next(payload) == NetstringReader::Status::need_more);
}

TEST_CASE("requests are MAP SPACE KEY", "[socketmap]") {
  CHECK(socketmap_request("relay", "2001:db8::1") == "17:relay 2001:db8::1,");
  auto request = parse_socketmap_request("relay 10.1.2.3");
  REQUIRE(request);
  CHECK(request->map == "relay");
  CHECK(request->key == "10.1.2.3");
  CHECK_FALSE(parse_socketmap_request("relay"));
  CHECK_FALSE(parse_socketmap_request("relay "));
  CHECK_FALSE(parse_socketmap_request(" 10.1.2.3"));
}

TEST_CASE("replies carry a status word and data", "[socketmap]") {
  CHECK(socketmap_reply({SocketmapStatus::ok, "1700000000"}) == "13:OK 1700000000,");
  CHECK(socketmap_reply({SocketmapStatus::notfound, ""}) == "9:NOTFOUND ,");
  CHECK(socketmap_reply({SocketmapStatus::temp, "connect timed out"}) == "22:TEMP connect timed out,");
  auto ok = parse_socketmap_reply("OK 1700000000");
  REQUIRE(ok);
  CHECK(ok->status == SocketmapStatus::ok);
  CHECK(ok->data == "1700000000");
  for (const char* notfound : {"NOTFOUND", "NOTFOUND "}) {
    auto reply = parse_socketmap_reply(notfound);
    REQUIRE(reply);
    CHECK(reply->status == SocketmapStatus::notfound);
  }
  auto timeout = parse_socketmap_reply("TIMEOUT query took too long");
  REQUIRE(timeout);
  CHECK(timeout->status == SocketmapStatus::timeout);
  CHECK(timeout->data == "query took too long");
  CHECK(parse_socketmap_reply("PERM x")->status == SocketmapStatus::perm);
  CHECK_FALSE(parse_socketmap_reply("ok 1"));
  CHECK_FALSE(parse_socketmap_reply("MAYBE"));
  CHECK_FALSE(parse_socketmap_reply("NOTFOUND but"));
  CHECK_FALSE(parse_socketmap_reply(""));
}

TEST_CASE("the relay map's data is seconds or permanent", "[socketmap]") {
  auto seconds = parse_last_login("1700000000");
  REQUIRE(seconds);
  CHECK_FALSE(seconds->permanent);
  CHECK(seconds->seconds == 1700000000);
  CHECK(parse_last_login("0")->seconds == 0);
  CHECK(parse_last_login("permanent")->permanent);
  for (const char* bad : {"", "-5", "017", "1e9", "12 ", "1234567890123456789", "Permanent"})
    CHECK_FALSE(parse_last_login(bad));
  CHECK(format_last_login({false, 42}) == "42");
  CHECK(format_last_login({true, 0}) == "permanent");
}
