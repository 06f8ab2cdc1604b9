#include "experiment/config_reader.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "base/error.h"
#include "experiment/experiment.h"

namespace aafgan::models {

using json = nlohmann::json;

bool Bounds::contains(double x) const {
  return std::isfinite(x) && (lo_open ? x > lo : x >= lo) && (hi_open ? x < hi : x <= hi);
}

std::string Bounds::str() const { return fmt::format("{}{}, {}{}", lo_open ? '(' : '[', lo, hi, hi_open ? ')' : ']'); }

namespace {

std::string cut(std::string s) { return s.size() > 80 ? s.substr(0, 77) + "..." : s; }

}  // namespace

std::string show(const json& v) { return cut(v.dump(-1, ' ', false, json::error_handler_t::replace)); }

std::string preview(const std::string& s) {
  // Escaping at most doubles a byte's length six times over ("\u0000"): 80 bytes of text suffice.
  return cut(json(s.substr(0, 80)).dump(-1, ' ', false, json::error_handler_t::replace));
}

bool is_comment(const std::string& key) { return !key.empty() && key[0] == '_'; }

std::string join(const std::vector<std::string>& names, const char* sep) {
  std::string s;
  for (size_t i = 0; i < names.size(); ++i) s += (i ? sep : "") + names[i];
  return s;
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

void ConfigReader::error(const std::string& field, const std::string& msg) const {
  // A field is built from the file's keys, and a key may be megabytes long.
  const std::string f = field.size() > 160 ? field.substr(0, 157) + "..." : field;
  if (where_.empty()) fail("{}: {}", f, msg);
  fail("{}: {}: {}", where_, f, msg);
}

int ConfigReader::integer(const json& v, const std::string& field, const Bounds& b) const {
  if (!v.is_number_integer()) error(field, fmt::format("expected an integer, found {}", show(v)));
  // Unsigned first: a huge value must not wrap to a small signed one.
  const double x = v.is_number_unsigned() ? static_cast<double>(v.get<uint64_t>()) : static_cast<double>(v.get<int64_t>());
  if (!b.contains(x)) error(field, fmt::format("must be in {}, found {}", b.str(), show(v)));
  return static_cast<int>(v.get<int64_t>());
}

double ConfigReader::number(const json& v, const std::string& field, const Bounds& b) const {
  if (!v.is_number()) error(field, fmt::format("expected a number, found {}", show(v)));
  const double x = v.get<double>();
  if (!b.contains(x)) error(field, fmt::format("must be in {}, found {}", b.str(), x));
  return x;
}

bool ConfigReader::flag(const json& v, const std::string& field) const {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number_integer() && (v.get<int64_t>() == 0 || v.get<int64_t>() == 1)) return v.get<int64_t>() == 1;
  error(field, fmt::format("expected 0 or 1, found {}", show(v)));
}

std::string ConfigReader::string(const json& v, const std::string& field) const {
  if (!v.is_string()) error(field, fmt::format("expected a string, found {}", show(v)));
  return v.get<std::string>();
}

std::string ConfigReader::path(const json& v, const std::string& field) const {
  const std::string s = string(v, field);
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f)
      error(field, fmt::format("a path may not hold {} (byte {} of {})", c == 0 ? "NUL" : fmt::format("control character {:#04x}", c),
                               i, preview(s)));
  }
  return s;
}

std::string ConfigReader::choice(const json& v, const std::string& field, const std::vector<std::string>& supported,
                                 bool numbers) const {
  std::string s;
  if (numbers && v.is_number_integer())
    s = v.dump();
  else if (v.is_string())
    s = v.get<std::string>();
  else
    error(field, fmt::format("expected a string, found {}", show(v)));
  for (const std::string& name : supported)
    if (upper(name) == upper(s)) return name;
  std::vector<std::string> names;
  for (const std::string& name : supported) names.push_back(preview(name));
  error(field, fmt::format("{} is not supported; supported: {}", show(v), join(names)));
}

std::vector<std::string> ConfigReader::model_list(const json& v, const std::string& field, bool output) const {
  if (!v.is_array() || v.empty()) error(field, fmt::format("expected a non-empty list of names, found {}", show(v)));
  std::vector<std::string> names;
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string f = fmt::format("{}[{}]", field, i);
    const std::string name = string(v[i], f);
    try {
      output ? check_output_model(name, f) : check_hidden_model(name, f);
    } catch (const Error& ex) {
      if (where_.empty()) throw;
      fail("{}: {}", where_, ex.what());
    }
    if (std::find(names.begin(), names.end(), name) != names.end())
      error(f, fmt::format("\"{}\" is listed twice", name));
    names.push_back(name);
  }
  return names;
}

}  // namespace aafgan::models
