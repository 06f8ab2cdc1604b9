#include "apps/common/experiment_flags.h"

#include <cstdlib>
#include <sstream>

#include <fmt/format.h>

namespace aafgan::apps {

using json = nlohmann::json;

namespace {

json split_list(const std::string& s) {
  json out = json::array();
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

// The row's range as a CLI11 check, so that a bad value fails while parsing, as --help shows.
CLI::Validator within(const models::Bounds& b) {
  return CLI::Validator(
      [b](std::string& s) -> std::string {
        char* end = nullptr;
        const double x = std::strtod(s.c_str(), &end);
        if (end == s.c_str() || *end != '\0') return fmt::format("{} is not a number", s);
        return b.contains(x) ? std::string() : fmt::format("{} is not in {}", s, b.str());
      },
      "in " + b.str());
}

}  // namespace

void add_experiment_flags(CLI::App& app, models::ExperimentOverrides& o, const models::Experiment& defaults) {
  // The model lists lead --help, as the apps' descriptions do; the rest follow in table order.
  std::vector<const models::ExperimentKey*> rows;
  for (const bool lists : {true, false})
    for (const models::ExperimentKey& k : models::experiment_keys())
      if (!k.flag.name.empty() && k.flag.comma_list == lists) rows.push_back(&k);
  for (const models::ExperimentKey* row : rows) {
    const models::ExperimentKey& k = *row;
    const json dflt = k.write(defaults);
    const std::string help = k.flag.help(dflt);
    auto store = [&o, name = k.name](json v) { o.values[name] = std::move(v); };
    if (!k.flag.spellings.empty()) {
      std::vector<std::string> words;
      for (const auto& s : k.flag.spellings) words.push_back(s.first);
      app.add_option_function<std::string>(
             k.flag.name,
             [store, &k](const std::string& word) {
               for (const auto& s : k.flag.spellings)
                 if (s.first == word) store(s.second);
             },
             help)
          ->check(CLI::IsMember(words));
    } else if (k.kind == models::KeyKind::integer) {
      app.add_option_function<int64_t>(k.flag.name, [store](const int64_t& v) { store(v); }, help)
          ->check(within(k.bounds));
    } else if (k.kind == models::KeyKind::number) {
      app.add_option_function<double>(k.flag.name, [store](const double& v) { store(v); }, help)
          ->check(within(k.bounds));
    } else if (k.flag.comma_list) {
      // The help has no "(default …)" here: show the default as the flag would spell it.
      std::vector<std::string> words = dflt.get<std::vector<std::string>>();
      app.add_option_function<std::string>(k.flag.name, [store](const std::string& s) { store(split_list(s)); }, help)
          ->default_str(models::join(words, ","));
    } else {
      app.add_option_function<std::string>(k.flag.name, [store](const std::string& s) { store(s); }, help);
    }
  }
}

}  // namespace aafgan::apps
