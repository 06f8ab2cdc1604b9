#include "base/json_limits.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_set>
#include <vector>

#include "base/error.h"
#include "base/regular_file.h"

namespace aafgan {

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

// A key as messages quote it: JSON-escaped (a key may hold control bytes), at most 80 bytes of it.
std::string quoted_key(const std::string& key) {
  const std::string shown = json(key.substr(0, 80)).dump(-1, ' ', false, json::error_handler_t::replace);
  return key.size() > 80 ? shown + "..." : shown;
}

std::string size_text(size_t bytes) {
  if (bytes >= (size_t{1} << 20) && bytes % (size_t{1} << 20) == 0) return fmt::format("{} MiB", bytes >> 20);
  if (bytes >= 1024 && bytes % 1024 == 0) return fmt::format("{} KiB", bytes >> 10);
  return fmt::format("{} bytes", bytes);
}

// One open object or array.
struct Level {
  bool array = false;
  std::string path;
  size_t next_index = 0;                 // arrays: the index of the next element
  std::string key;                       // objects: the key whose value comes next
  std::unordered_set<std::string> keys;  // objects: the keys seen so far
};

// The checks run on nlohmann's parser callback, event by event, so that a document is refused at
// its first level too deep or its first repeated key, before the rest of it is read into memory.
class Checker {
 public:
  Checker(const std::string& where, const JsonLimits& limits) : where_(where), limits_(limits) {}

  bool operator()(int depth, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start: {
        // `depth` counts the levels already open.
        const std::string path = next_path();
        if (depth + 1 > limits_.max_depth)
          fail("{}: nested deeper than {} levels (at {}){}{}", where_, limits_.max_depth,
               path.empty() ? "the top" : path, *limits_.depth_hint ? "; " : "", limits_.depth_hint);
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
          if (open_.size() == 1 && limits_.top_key_noun)
            fail("{}: {} {} is defined twice", where_, limits_.top_key_noun, quoted_key(l.key));
          fail("{}: key {} appears twice in {}; JSON readers disagree on which copy counts", where_,
               quoted_key(l.key), l.path.empty() ? "the top level" : l.path);
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
  const JsonLimits& limits_;
  std::vector<Level> open_;
};

}  // namespace

json parse_json_within(std::string_view text, const std::string& where, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes)
    fail("{}: {} bytes, over the {} such a file may hold", where, text.size(), size_text(limits.max_bytes));
  Checker check(where, limits);
  try {
    return json::parse(text.begin(), text.end(), std::ref(check));
  } catch (const json::exception& ex) {
    // Not only parse_error: a number beyond double's range ("1e400") is an out_of_range (found
    // by fuzz/fuzz_experiment).
    std::string msg = ex.what();
    if (msg.size() > 240) msg = msg.substr(0, 237) + "...";
    fail("{}: not valid JSON: {}", where, msg);
  }
}

json read_json_file_within(const std::string& path, const std::string& what, const JsonLimits& limits) {
  const RegularFile file = open_regular_file(path);
  if (file.size > limits.max_bytes) {
    ::close(file.fd);
    fail("{}: {} bytes; {} holds at most {}", path, file.size, what, size_text(limits.max_bytes));
  }
  // One byte past the limit tells a file that grew since its size was taken.
  std::string text(static_cast<size_t>(file.size) + 1, '\0');
  const int64_t got = read_fully(file.fd, &text[0], text.size());
  const int err = errno;
  ::close(file.fd);
  if (got < 0) fail("{}: cannot read {}: {}", path, what, std::strerror(err));
  text.resize(static_cast<size_t>(got));
  if (text.size() > limits.max_bytes) fail("{}: over {} (it grew while read); {} holds at most that", path,
                                           size_text(limits.max_bytes), what);
  return parse_json_within(text, path, limits);
}

}  // namespace aafgan
