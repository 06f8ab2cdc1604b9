// models/experiment.h load_experiment on arbitrary bytes, as each app calls it (mnist_defaults
// and celeba_defaults), for the first few experiment keys of the file, then expand_grid and
// to_json on each experiment that loads.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "fuzz/fuzz_input_file.h"
#include "models/experiment.h"

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const aafgan::models::Experiment mnist = aafgan::models::mnist_defaults();
  static const aafgan::models::Experiment celeba = aafgan::models::celeba_defaults();
  const std::string& path = aafgan::fuzz::write_input_file("experiment", data, size);
  for (const std::string& key : keys_to_try(data, size)) {
    load(path, key, mnist, size);
    load(path, key, celeba, size);
  }
  return 0;
}
