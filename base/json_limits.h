#pragma once
// defines: JsonLimits, parse_json_within, read_json_file_within
//
// JSON from files with a budget. nlohmann's parser keeps its own stack, but a document it accepts
// can still end the process later (dumping or copying a value recurses once per level: 100,000
// levels overflowed the stack, issue 22), cost ~10x its text in memory, or hold a key twice
// (nlohmann keeps the last copy silently, other readers the first). Every JSON file aafgan reads
// goes through here: refused by name at the first level too deep or the first key repeated,
// before the rest is read into memory, and never read beyond its size limit.
#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace aafgan {

struct JsonLimits {
  size_t max_bytes = size_t{4} << 20;
  int max_depth = 64;
  // Messages: "<where>: nested deeper than 64 levels (at a.b[3]); <depth_hint>".
  const char* depth_hint = "";
  // When set, a repeated top-level key reads "<where>: <top_key_noun> <key> is defined twice".
  const char* top_key_noun = nullptr;
};

// A run folder's config.json, read back as its completion marker by the apps and the report: the
// experiment as the app read it (a config of at most 4 MiB and 64 levels, experiment/config_file.h,
// which fuzz/fuzz_experiment bounds at 8x its input when written out), one level deeper.
inline JsonLimits run_config_json_limits() {
  JsonLimits l;
  l.max_bytes = size_t{64} << 20;
  l.max_depth = 66;
  return l;
}

// Parses `text`; aafgan::Error starting with `where` on text over max_bytes, nesting deeper than
// max_depth, a key repeated in one object, or anything that is not JSON (nlohmann's message, cut
// to 240 characters: it quotes the token it stopped in, which may be megabytes).
nlohmann::json parse_json_within(std::string_view text, const std::string& where, const JsonLimits& limits);

// Reads the regular file `path` (open_regular_file: FIFOs and devices refused by type), at most
// max_bytes of it, and parses it as parse_json_within does; `what` names the file's role in the
// size message ("a claim holds at most 1 MiB").
nlohmann::json read_json_file_within(const std::string& path, const std::string& what, const JsonLimits& limits);

}  // namespace aafgan
