#include "models/config_file.h"

#include <filesystem>
#include <fstream>
#include <unordered_set>
#include <vector>

#include "engine/error.h"
#include "models/config_reader.h"

namespace aafgan::models {

using json = nlohmann::json;

namespace {

// Where the parser is, for messages: "condgan_mlp.GENERATOR.layers[3]". Kept short: a key may
// be megabytes long, and each level would copy its parent's path.
constexpr size_t kMaxPathChars = 160;

std::string child_path(const std::string& parent, const std::string& step) {
  if (parent.size() >= kMaxPathChars) return parent;  // already ends in "..."
  std::string p = parent + step;
  if (p.size() > kMaxPathChars) p = p.substr(0, kMaxPathChars - 3) + "...";
  return p;
}

// One open object or array.
struct Level {
  bool array = false;
  std::string path;
  size_t next_index = 0;              // arrays: the index of the next element
  std::string key;                    // objects: the key whose value comes next
  std::unordered_set<std::string> keys;  // objects: the keys seen so far
};

// The checks run on nlohmann's parser callback, event by event, so that a document is refused at
// its 65th level or its first repeated key, before the rest of it is read into memory.
class Checker {
 public:
  Checker(const std::string& where, const ConfigLimits& limits) : where_(where), limits_(limits) {}

  bool operator()(int depth, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start: {
        // `depth` counts the levels already open.
        const std::string path = next_path();
        if (depth + 1 > limits_.max_depth)
          fail("{}: nested deeper than {} levels (at {}); a config nests a few", where_, limits_.max_depth,
               path.empty() ? "the top" : path);
        Level l;
        l.array = event == json::parse_event_t::array_start;
        l.path = path;
        open_.push_back(std::move(l));
        break;
      }
      case json::parse_event_t::key: {
        Level& l = open_.back();
        l.key = parsed.get<std::string>();
        if (!l.keys.insert(l.key).second) {
          if (open_.size() == 1) fail("{}: experiment {} is defined twice", where_, preview(l.key));
          fail("{}: key {} appears twice in {}; JSON readers disagree on which copy counts", where_, preview(l.key),
               l.path);
        }
        break;
      }
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        open_.pop_back();
        element_done();
        break;
      case json::parse_event_t::value:
        element_done();
        break;
    }
    return true;
  }

 private:
  // The path of the value that starts now.
  std::string next_path() const {
    if (open_.empty()) return "";
    const Level& l = open_.back();
    if (l.array) return child_path(l.path, fmt::format("[{}]", l.next_index));
    if (l.path.empty()) return child_path("", l.key.substr(0, kMaxPathChars));
    return child_path(l.path, "." + l.key.substr(0, kMaxPathChars));
  }

  void element_done() {
    if (!open_.empty() && open_.back().array) ++open_.back().next_index;
  }

  const std::string& where_;
  const ConfigLimits& limits_;
  std::vector<Level> open_;
};

}  // namespace

json parse_config_text(const std::string& text, const std::string& where, const ConfigLimits& limits) {
  if (text.size() > limits.max_bytes)
    fail("{}: {} bytes; a config holds at most {} MiB", where, text.size(), limits.max_bytes >> 20);
  Checker check(where, limits);
  try {
    return json::parse(text, std::ref(check));
  } catch (const json::exception& ex) {
    // Not only parse_error: a number beyond double's range ("1e400") is an out_of_range (found
    // by fuzz/fuzz_experiment). nlohmann quotes the token it stopped in, which may be a string
    // of megabytes.
    std::string msg = ex.what();
    if (msg.size() > 240) msg = msg.substr(0, 237) + "...";
    fail("{}: not valid JSON: {}", where, msg);
  }
}

json read_config_file(const std::string& path, const ConfigLimits& limits) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) fail("{}: is a folder, not an experiment config", path);
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot open the experiment config", path);
  // One byte past the limit tells a file over it, whatever its kind (a pipe has no size).
  std::string text(limits.max_bytes + 1, '\0');
  in.read(&text[0], static_cast<std::streamsize>(text.size()));
  if (in.bad()) fail("{}: cannot read the experiment config", path);
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > limits.max_bytes) {
    const auto size = fs::file_size(path, ec);
    fail("{}: {}; a config holds at most {} MiB", path,
         ec ? fmt::format("over {} bytes", limits.max_bytes) : fmt::format("{} bytes", size), limits.max_bytes >> 20);
  }
  return parse_config_text(text, path, limits);
}

}  // namespace aafgan::models
