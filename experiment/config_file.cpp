#include "experiment/config_file.h"

#include <filesystem>
#include <fstream>

#include "base/error.h"
#include "base/json_limits.h"
#include "experiment/config_reader.h"

namespace aafgan::models {

using json = nlohmann::json;

json parse_config_text(const std::string& text, const std::string& where, const ConfigLimits& limits) {
  if (text.size() > limits.max_bytes)
    fail("{}: {} bytes; a config holds at most {} MiB", where, text.size(), limits.max_bytes >> 20);
  JsonLimits json_limits;
  json_limits.max_bytes = limits.max_bytes;
  json_limits.max_depth = limits.max_depth;
  json_limits.depth_hint = "a config nests a few";
  json_limits.top_key_noun = "experiment";
  return parse_json_within(text, where, json_limits);
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
