// experiment/experiment.h load_experiment on arbitrary bytes, as each app calls it (mnist_defaults
// and celeba_defaults), for the first few experiment keys of the file, then expand_grid and
// to_json on each experiment that loads. Each input is also turned into a document of a kind
// that mutating a small corpus never reaches (issue 22): nesting tens of thousands of levels
// deep, and keys given twice (structured_variant).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "fuzz/fuzz_input_file.h"
#include "experiment/experiment.h"

namespace {

// The keys to load: those of the top-level object (the loader's own parse decides what is
// valid; this one only picks names), or one fixed key so that non-objects reach the loader too.
std::vector<std::string> keys_to_try(const uint8_t* data, size_t size) {
  const nlohmann::json doc = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  std::vector<std::string> keys;
  if (doc.is_object())
    for (const auto& item : doc.items()) {
      keys.push_back(item.key());
      if (keys.size() == 3) break;
    }
  if (keys.empty()) keys.push_back("condgan_mlp_lr001_decay95e31");
  return keys;
}

// Issue 22: a message quotes a preview of a value, never the value (a 100 MB string was echoed
// whole), and config.json (Experiment::raw) holds no ignored value (an 11.8 KB file wrote 50 MB):
// either grows far beyond its input otherwise.
void check_bounded(const char* what, size_t size, size_t limit) {
  if (size > limit) {
    std::fprintf(stderr, "fuzz_experiment: %s of %zu bytes, over %zu\n", what, size, limit);
    std::abort();
  }
}

void load(const std::string& path, const std::string& key, const aafgan::models::Experiment& defaults,
          size_t input_size) {
  using namespace aafgan::models;
  Experiment e;
  try {
    e = load_experiment(path, key, defaults);
  } catch (const aafgan::Error& ex) {
    check_bounded("an error message", std::strlen(ex.what()), 2048 + path.size() + key.size());
    return;
  }
  for (const std::string& w : e.warnings) check_bounded("a warning", w.size(), 2048 + path.size() + key.size());
  // Pretty-printed as config.json is, with every known value in it.
  check_bounded("config.json", e.raw.dump(2).size(), 8 * input_size + 65536);
  // A loaded experiment is one the app will write out and run: neither may throw anything but
  // an Error.
  volatile size_t sink = to_json(e).dump().size();
  try {
    for (const RunSpec& run : expand_grid(e)) sink = sink + run.dir.size() + run.seed;
  } catch (const aafgan::Error&) {
  }
  (void)sink;
}

// The input's text as a JSON string, for a leaf of the built documents.
std::string quoted(const uint8_t* data, size_t size) {
  return nlohmann::json(std::string(reinterpret_cast<const char*>(data), size))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Issue 22 rows 1, 2 and 10 as classes: from its first three bytes the input picks a shape and a
// depth of up to 262,140 levels; the rest of the input becomes a leaf or the document that gets a
// duplicate key. "" when the input is too short to pick.
std::string structured_variant(const uint8_t* data, size_t size) {
  if (size < 3) return {};
  const int shape = data[0] % 5;
  const size_t depth = ((size_t(data[1]) << 8) | data[2]) * 4 + 1;
  const uint8_t* rest = data + 3;
  const size_t rest_size = size - 3;
  const std::string leaf = quoted(rest, rest_size);
  std::string open, close;
  switch (shape) {
    case 0:  // lists under a known key (row 1)
    case 1:  // lists under an unknown key, which the app would ignore and copy (row 2)
      open.assign(depth, '[');
      close.assign(depth, ']');
      return std::string("{\"condgan_mlp_lr001_decay95e31\":{") + (shape == 0 ? "\"GEN_MODELS\":" : "\"JUNK\":") + open +
             leaf + close + "}}";
    case 2:  // objects as the experiment itself
      for (size_t i = 0; i < depth; ++i) open += "{\"e\":";
      close.assign(depth, '}');
      return "{\"condgan_mlp_lr001_decay95e31\":" + open + leaf + close + "}";
    default: {
      // A key of the input's own first experiment given twice, with another value (row 10), or
      // the experiment's name given twice at the top.
      const nlohmann::json doc = nlohmann::json::parse(rest, rest + rest_size, nullptr, false);
      if (!doc.is_object() || doc.empty()) return {};
      const auto first = doc.begin();
      const std::string name = nlohmann::json(first.key()).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      const std::string body = first.value().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      if (shape == 4 || !first.value().is_object() || first.value().empty())
        return "{" + name + ":" + body + "," + name + ":" + body + "}";
      auto item = first.value().begin();
      std::advance(item, depth % first.value().size());
      const std::string key = nlohmann::json(item.key()).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      return "{" + name + ":{" + key + ":" + item.value().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
             "," + body.substr(1) + "}";
    }
  }
}

void load_all(const char* tag, const uint8_t* data, size_t size) {
  static const aafgan::models::Experiment mnist = aafgan::models::mnist_defaults();
  static const aafgan::models::Experiment celeba = aafgan::models::celeba_defaults();
  const std::string& path = aafgan::fuzz::write_input_file(tag, data, size);
  for (const std::string& key : keys_to_try(data, size)) {
    load(path, key, mnist, size);
    load(path, key, celeba, size);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  load_all("experiment", data, size);
  const std::string variant = structured_variant(data, size);
  if (!variant.empty())
    load_all("experiment_variant", reinterpret_cast<const uint8_t*>(variant.data()), variant.size());
  return 0;
}
