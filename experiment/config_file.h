#pragma once
// A config file's bytes → its JSON, with the limits of a config: a config is a few KiB written
// by hand, so a file of megabytes, nesting hundreds of levels deep or a key given twice is a
// mistake or an attack, refused by name before it costs memory (a DOM is ~10× its text) or stack
// (dumping a value recurses once per level: 100,000 levels ended the process).
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

namespace aafgan::models {

struct ConfigLimits {
  size_t max_bytes = size_t{4} << 20;  // the reference configs are 3–9 KiB
  int max_depth = 64;                  // theirs nest 5 levels (experiment, GENERATOR, layers, layer, out)
};

// Reads and parses `path`. Fails (aafgan::Error, naming the file) on a file over max_bytes, read
// no further than that; on nesting deeper than max_depth and on a key repeated in one object
// (nlohmann keeps the last copy silently), both while parsing, before the document exists; and
// on anything that is not JSON.
nlohmann::json read_config_file(const std::string& path, const ConfigLimits& limits = {});

// The same checks on text already in memory; `where` starts every message (the file's name).
nlohmann::json parse_config_text(const std::string& text, const std::string& where, const ConfigLimits& limits = {});

}  // namespace aafgan::models
