#include "models/config_reader.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "engine/error.h"
#include "models/experiment.h"

namespace aafgan::models {

using json = nlohmann::json;

bool Bounds::contains(double x) const {
  return std::isfinite(x) && (lo_open ? x > lo : x >= lo) && (hi_open ? x < hi : x <= hi);
}

std::string Bounds::str() const { return fmt::format("{}{}, {}{}", lo_open ? '(' : '[', lo, hi, hi_open ? ')' : ']'); }

std::string show(const json& v) {
  std::string s = v.dump();
  return s.size() > 80 ? s.substr(0, 77) + "..." : s;
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
  if (where_.empty()) fail("{}: {}", field, msg);
  fail("{}: {}: {}", where_, field, msg);
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
