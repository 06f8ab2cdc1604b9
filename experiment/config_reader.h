#pragma once
// Checked reads of config values, each error naming where the value came from (the file, the
// experiment key and the field, or the command-line flag) and what was expected.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace aafgan::models {

// The valid values of a numeric key: lo … hi, either end open.
struct Bounds {
  double lo = 0, hi = 0;
  bool lo_open = false, hi_open = false;

  bool contains(double x) const;
  std::string str() const;  // "[1, 1073741824]", "(0, 1]"
};

// A value as JSON text, shortened: a whole layer list would drown the message.
std::string show(const nlohmann::json& v);
// A name or text from a file as a message shows it: quoted, control characters escaped, at
// most 80 characters ("..." marks the cut). A key may be megabytes long.
std::string preview(const std::string& s);
// The reference disabled a key by prefixing it with '_' ("_SKIP_DEFAULT"): such keys are comments.
bool is_comment(const std::string& key);
std::string join(const std::vector<std::string>& names, const char* sep = ", ");
std::string upper(std::string s);

class ConfigReader {
 public:
  // `where` starts every message: `<file>: experiment "<key>"`, or "" for command-line flags,
  // whose field names (--epochs) say where already.
  explicit ConfigReader(std::string where) : where_(std::move(where)) {}

  [[noreturn]] void error(const std::string& field, const std::string& msg) const;
  const std::string& where() const { return where_; }

  int integer(const nlohmann::json& v, const std::string& field, const Bounds& b) const;
  double number(const nlohmann::json& v, const std::string& field, const Bounds& b) const;
  // The reference writes flags as 0/1.
  bool flag(const nlohmann::json& v, const std::string& field) const;
  std::string string(const nlohmann::json& v, const std::string& field) const;
  // A string that names a file or folder: no NUL (the OS would cut the path there, and create
  // the part before it) and no other control character.
  std::string path(const nlohmann::json& v, const std::string& field) const;
  // A string (or, when `numbers` is set, an integer) that must be one of `supported`;
  // case-insensitive, returned in the spelling of `supported`.
  std::string choice(const nlohmann::json& v, const std::string& field, const std::vector<std::string>& supported,
                     bool numbers = false) const;
  // A non-empty list of distinct output (or hidden) activation names.
  std::vector<std::string> model_list(const nlohmann::json& v, const std::string& field, bool output) const;

 private:
  std::string where_;
};

}  // namespace aafgan::models
