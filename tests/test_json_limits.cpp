// Every JSON file aafgan reads has a size and depth limit and refuses repeated keys
// (base/json_limits.h): the config (tests/test_config_limits.cpp), and here the reader itself,
// checkpoint metadata, claims and the completion markers of the apps and the report.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>

#include "engine/checkpoint.h"
#include "base/error.h"
#include "base/json_limits.h"
#include "grid/run_claim.h"
#include "tests/temp_dir.h"
#include "tests/test_helpers.h"

using aafgan::Error;
using aafgan::JsonLimits;
using aafgan::testing::TempDir;
using aafgan::testing::contains;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string nested(int levels, const std::string& leaf = "1") {
  return std::string(static_cast<size_t>(levels), '[') + leaf + std::string(static_cast<size_t>(levels), ']');
}

void write(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

}  // namespace

TEST_CASE("json limits: nesting is refused one level past the limit, naming where") {
  JsonLimits l;
  l.max_depth = 8;
  CHECK_NOTHROW(aafgan::parse_json_within(nested(8), "x.json", l));
  const std::string m = error_of([&] { aafgan::parse_json_within("{\"a\":{\"b\":" + nested(7) + "}}", "x.json", l); });
  INFO(m);
  CHECK(contains(m, "x.json: nested deeper than 8 levels (at a.b[0][0][0][0][0][0])"));
  // 200,000 levels, refused at the ninth: the parse never builds the rest.
  const std::string deep = nested(200000);
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(contains(error_of([&] { aafgan::parse_json_within(deep, "deep.json", l); }), "nested deeper than 8 levels"));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
}

TEST_CASE("json limits: a key given twice is refused, at the top with its noun when one is set") {
  JsonLimits l;
  CHECK(contains(error_of([&] { aafgan::parse_json_within("{\"a\":{\"k\":1,\"k\":2}}", "d.json", l); }),
                 "d.json: key \"k\" appears twice in a;"));
  CHECK(contains(error_of([&] { aafgan::parse_json_within("{\"k\":1,\"k\":2}", "d.json", l); }),
                 "key \"k\" appears twice in the top level"));
  l.top_key_noun = "experiment";
  CHECK(contains(error_of([&] { aafgan::parse_json_within("{\"e\":{},\"e\":{}}", "d.json", l); }),
                 "d.json: experiment \"e\" is defined twice"));
  // The same key in two objects is no repeat.
  CHECK_NOTHROW(aafgan::parse_json_within("{\"a\":{\"k\":1},\"b\":{\"k\":2}}", "d.json", l));
  // A key of a megabyte is quoted by its first 80 bytes.
  const std::string key(1 << 20, 'k');
  const std::string m = error_of([&] { aafgan::parse_json_within("{\"" + key + "\":1,\"" + key + "\":1}", "d.json", JsonLimits{}); });
  CHECK(m.size() < 400);
}

TEST_CASE("json limits: text over the size limit and text that is not JSON are refused, briefly") {
  JsonLimits l;
  l.max_bytes = 100;
  CHECK(contains(error_of([&] { aafgan::parse_json_within(std::string(101, ' '), "s.json", l); }),
                 "s.json: 101 bytes, over the 100 bytes such a file may hold"));
  const std::string m = error_of([&] { aafgan::parse_json_within("\"" + std::string(50, 'x'), "s.json", l); });
  CHECK(contains(m, "s.json: not valid JSON"));
  const std::string long_token = error_of([] { aafgan::parse_json_within("\"" + std::string(1 << 20, 'x'), "s.json", {}); });
  CHECK(long_token.size() < 320);
}

TEST_CASE("json limits: a file is read only up to its limit, and a FIFO is refused by type") {
  TempDir tmp("json_limits_file");
  JsonLimits l;
  l.max_bytes = 4096;
  write(tmp.file("ok.json"), "{\"a\": [1, 2]}");
  CHECK(aafgan::read_json_file_within(tmp.file("ok.json"), "a test file", l).at("a").size() == 2);
  // A sparse file of 1 GiB: refused by its size, not read.
  {
    std::ofstream(tmp.file("huge.json")) << "";
    REQUIRE(::truncate(tmp.file("huge.json").c_str(), off_t{1} << 30) == 0);
  }
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(contains(error_of([&] { aafgan::read_json_file_within(tmp.file("huge.json"), "a test file", l); }),
                 "huge.json: 1073741824 bytes; a test file holds at most 4 KiB"));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(1));
  REQUIRE(::mkfifo(tmp.file("fifo.json").c_str(), 0600) == 0);
  CHECK(contains(error_of([&] { aafgan::read_json_file_within(tmp.file("fifo.json"), "a test file", l); }), "FIFO"));
  CHECK(contains(error_of([&] { aafgan::read_json_file_within(tmp.file("missing.json"), "a test file", l); }),
                 "missing.json"));
}

TEST_CASE("json limits: checkpoint metadata nested past 32 levels is unreadable metadata, by name") {
  TempDir tmp("json_limits_checkpoint");
  nlohmann::json deep = 1;
  for (int i = 0; i < 40; ++i) deep = nlohmann::json::array({deep});
  aafgan::save_checkpoint(tmp.file("deep.ckpt"), {}, {{"epoch", 1}, {"junk", deep}});
  const std::string m = error_of([&] { aafgan::load_checkpoint(tmp.file("deep.ckpt")); });
  INFO(m);
  CHECK(contains(m, "has unreadable metadata: nested deeper than 32 levels (at junk"));
  aafgan::save_checkpoint(tmp.file("ok.ckpt"), {}, {{"epoch", 1}, {"history", {{"fid", {1.0, 2.0}}}}});
  CHECK(aafgan::load_checkpoint(tmp.file("ok.ckpt")).metadata.at("epoch") == 1);
}

TEST_CASE("json limits: a claim that is a FIFO, huge or deep is held by an unknown worker, and no read blocks") {
  TempDir tmp("json_limits_claim");
  aafgan::models::ClaimSettings settings;
  settings.stale_after_s = 3600;  // fresh: nobody may take it over
  for (const std::string kind : {"fifo", "huge", "deep"}) {
    const std::string run = tmp.file(kind);
    std::filesystem::create_directories(run);
    const std::string claim = run + "/.claim";
    if (kind == "fifo") REQUIRE(::mkfifo(claim.c_str(), 0600) == 0);
    if (kind == "huge") write(claim, "{\"host\":\"" + std::string(10 << 20, 'h') + "\"}");
    if (kind == "deep") write(claim, "{\"host\":" + nested(100000, "\"h\"") + "}");
    std::string held_by;
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(aafgan::models::RunClaim::try_take(run, settings, &held_by) == nullptr);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
    INFO(kind, ": ", held_by.substr(0, 200));
    CHECK(contains(held_by, "an unknown worker"));
    CHECK(held_by.size() < 300);
  }
}
