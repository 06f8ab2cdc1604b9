// Hostile configs (issue 22): each class is refused as a bad config by name, in bounded time and
// memory, through load_experiment (the one reader both apps call), or loaded without its ignored
// part reaching config.json. Big inputs are generated here, not committed.
#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "base/error.h"
#include "experiment/experiment.h"
#include "tests/temp_dir.h"
#include "tests/test_helpers.h"

using namespace aafgan;
using namespace aafgan::models;
using json = nlohmann::json;
using aafgan::testing::contains;

namespace {

const std::string kMnist = std::string(AAFGAN_FIXTURES_DIR) + "/reference_mnist_condgan.json";
const char* kKey = "condgan_mlp_lr001_decay95e31";

// The reference experiment as text without its closing brace, to append keys a DOM cannot hold
// (a repeated key, 100,000 levels).
std::string reference_body() {
  std::ifstream in(kMnist);
  REQUIRE(in);
  const std::string s = json::parse(in).at(kKey).dump();
  return s.substr(0, s.size() - 1);
}

std::string with_key(const std::string& key_and_value) {
  return "{\"" + std::string(kKey) + "\": " + reference_body() + ", " + key_and_value + "}}";
}

std::string nested(size_t levels) { return std::string(levels, '[') + std::string(levels, ']'); }

std::string write(const aafgan::testing::TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir.file(name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// The message of the Error that loading `path` in the MNIST app throws, checked to be short:
// no message may echo more than a preview of a value.
std::string load_error(const std::string& path) {
  std::string msg;
  try {
    load_experiment(path, kKey, mnist_defaults());
  } catch (const Error& e) {
    msg = e.what();
  }
  REQUIRE_MESSAGE(!msg.empty(), "expected an aafgan::Error");
  CHECK(msg.size() < 600);
  return msg;
}

}  // namespace

TEST_CASE("config limits: nesting 100,000 levels deep is refused by name, in well under a second") {
  aafgan::testing::TempDir dir("config_limits_depth");
  const auto start = std::chrono::steady_clock::now();
  // Row 1: the error message's dump of the value recursed once per level and overflowed the stack.
  const std::string m1 = load_error(write(dir, "deep.json", "{\"" + std::string(kKey) + "\": " + nested(100000) + "}"));
  CHECK(contains(m1, "deep.json: nested deeper than 64 levels"));
  // Row 2: the same under an unknown key of a valid experiment crashed writing config.json.
  const std::string m2 = load_error(write(dir, "junk.json", with_key("\"JUNK\": " + nested(100000))));
  CHECK(contains(m2, "nested deeper than 64 levels (at " + std::string(kKey) + ".JUNK[0][0]"));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
  // 64 levels in all (the top object, the experiment, 62 lists) are within the limit.
  CHECK_NOTHROW(load_experiment(write(dir, "ok.json", with_key("\"_deep\": " + nested(62))), kKey, mnist_defaults()));
  CHECK(contains(load_error(write(dir, "65.json", with_key("\"_deep\": " + nested(63)))), "deeper than 64"));
}

TEST_CASE("config limits: an ignored key is named with a preview and left out of config.json") {
  aafgan::testing::TempDir dir("config_limits_record");
  // 40 levels × 2,000 lists: within the limits, and 2.7 MB as config.json's two-space indent
  // wrote it.
  std::string wide = "[";
  for (int i = 0; i < 2000; ++i) wide += (i ? "," : "") + nested(40);
  wide += "]";
  const std::string big_comment = "\"" + std::string(10000, 'c') + "\"";
  const Experiment e = load_experiment(
      write(dir, "wide.json", with_key("\"JUNK\": " + wide + ", \"_note\": " + big_comment + ", \"_small\": 1")), kKey,
      mnist_defaults());
  CHECK_FALSE(e.raw.contains("JUNK"));
  CHECK_FALSE(e.raw.contains("_note"));
  CHECK(e.raw.at("_small") == 1);  // small comments stay, as the reference's "_SKIP_DEFAULT": 1
  REQUIRE(e.raw.contains("_ignored_keys"));  // kLeftOutKey: what config.json readers see
  CHECK(e.raw.at("_ignored_keys").dump().find("JUNK") != std::string::npos);
  CHECK(e.raw.dump(2).size() < 20000);
  REQUIRE(e.warnings.size() == 1);
  CHECK(contains(e.warnings[0], "unknown key \"JUNK\" ignored"));
  CHECK(e.warnings[0].size() < 400);
  // Inside a network section too.
  json doc = json::parse(std::ifstream(kMnist));
  doc[kKey]["GENERATOR"]["JUNK2"] = json::parse(wide);
  const Experiment g = load_experiment(write(dir, "section.json", doc.dump()), kKey, mnist_defaults());
  CHECK_FALSE(g.raw.at("GENERATOR").contains("JUNK2"));
  CHECK(g.raw.dump(2).size() < 20000);
}

TEST_CASE("config limits: a key given twice is refused by name, at any level") {
  aafgan::testing::TempDir dir("config_limits_duplicates");
  // Row 10: nlohmann kept the last copy, so this trained with batch 7.
  CHECK(contains(load_error(write(dir, "batch.json", with_key("\"BATCH_SIZE\": 100, \"BATCH_SIZE\": 7"))),
                 "key \"BATCH_SIZE\" appears twice in " + std::string(kKey)));
  const std::string body = reference_body() + "}";
  CHECK(contains(load_error(write(dir, "twice.json", "{\"" + std::string(kKey) + "\": " + body + ", \"" + kKey + "\": " + body + "}")),
                 "experiment \"" + std::string(kKey) + "\" is defined twice"));
  // Deeper: the first layer object (DISCRIMINATOR sorts first).
  std::string layered = with_key("\"_x\": 0");
  const std::string first_layer = "\"type\":\"Linear\"";
  const size_t at = layered.find(first_layer);
  REQUIRE(at != std::string::npos);
  layered.insert(at + first_layer.size(), ",\"type\":\"Linear\"");
  CHECK(contains(load_error(write(dir, "layer.json", layered)), "key \"type\" appears twice in " + std::string(kKey) + ".DISCRIMINATOR.layers[0]"));
}

TEST_CASE("config limits: a DATASET or VERSION the app does not support is refused with the supported values") {
  aafgan::testing::TempDir dir("config_limits_choices");
  const auto with = [&](const std::string& key, const json& v) {
    json doc = json::parse(std::ifstream(kMnist));
    doc[kKey][key] = v;
    return write(dir, key + ".json", doc.dump());
  };
  // Row 11: both trained MNIST silently.
  CHECK(contains(load_error(with("DATASET", "CIFAR")), "DATASET: \"CIFAR\" is not supported; supported: \"MNIST\""));
  CHECK(contains(load_error(with("VERSION", "99")), "VERSION: \"99\" is not supported; supported: \"1\""));
  CHECK(contains(load_error(with("VERSION", json::array())), "VERSION"));
  CHECK(load_experiment(with("DATASET", "mnist"), kKey, mnist_defaults()).dataset == "MNIST");
  CHECK_NOTHROW(load_experiment(with("VERSION", 1), kKey, mnist_defaults()));
  // The ignored reference keys are still checked by type: their values go into config.json.
  CHECK(contains(load_error(with("PIN_MEMORY", json::array({1, 2}))), "PIN_MEMORY: expected 0 or 1"));
}

TEST_CASE("config limits: a path with a NUL or another control character is a bad config, named") {
  aafgan::testing::TempDir dir("config_limits_paths");
  const auto with_dir = [&](const std::string& d) {
    json doc = json::parse(std::ifstream(kMnist));
    doc[kKey]["EXPERIMENT_DIR"] = d;
    return write(dir, "dir.json", doc.dump());
  };
  // Row 13: the path was cut at the NUL, creating "a", and the run failed instead of the config.
  CHECK(contains(load_error(with_dir(std::string("a\0b", 3))), "EXPERIMENT_DIR: a path may not hold NUL (byte 1 of \"a\\u0000b\")"));
  CHECK(contains(load_error(with_dir("a\nb")), "EXPERIMENT_DIR: a path may not hold control character 0x0a"));
  CHECK(load_experiment(with_dir("runs/é"), kKey, mnist_defaults()).experiment_dir == "runs/é");
}

TEST_CASE("config limits: a file over 4 MiB is refused by its size, and a long value is shown as a preview") {
  aafgan::testing::TempDir dir("config_limits_size");
  // A 100 MB string cost 1.5 GB and was echoed whole; 5 MiB is over the limit already.
  CHECK(contains(load_error(write(dir, "huge.json", with_key("\"JUNK\": \"" + std::string(5 << 20, 'x') + "\""))),
                 "a config holds at most 4 MiB"));
  // Under the limit, a 3 MiB value or key is quoted by its first characters only.
  const std::string long_text(3 << 20, 'y');
  const auto with = [&](const std::string& key, const json& v) {
    json doc = json::parse(std::ifstream(kMnist));
    doc[kKey][key] = v;
    return write(dir, key + ".json", doc.dump());
  };
  CHECK(contains(load_error(with("DATASET", long_text)), "DATASET: \"yyy"));
  CHECK(contains(load_error(with("GEN_MODELS", json::array({long_text}))), "GEN_MODELS[0]: \"yyy"));
  CHECK(contains(load_error(with("OPTIMIZER", long_text)), "OPTIMIZER: \"yyy"));
  const Experiment e = load_experiment(write(dir, "key.json", with_key("\"" + long_text + "\": 1")), kKey, mnist_defaults());
  REQUIRE(e.warnings.size() == 1);
  CHECK(e.warnings[0].size() < 400);
  CHECK(e.raw.dump().size() < 10000);
  // A name missing from a file of thousands of experiments lists the first few.
  json many = json::object();
  for (int i = 0; i < 5000; ++i) many["experiment_" + std::to_string(i)] = json::object();
  CHECK(contains(load_error(write(dir, "many.json", many.dump())), "and 4980 more"));
}
