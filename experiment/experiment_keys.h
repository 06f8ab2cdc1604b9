#pragma once
// The schema of an experiment: one row per key of the reference JSON format, declared once in
// experiment_keys.cpp. A row says the key's JSON name, kind, valid range or choices, what its
// absence from a file means, where it goes in Experiment (a read and a write function), and the
// command-line flag that overrides it. load_experiment, to_json, the apps' flags
// (apps/common/experiment_flags.cpp) and the tests all walk this one table.
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "experiment/config_reader.h"
#include "experiment/experiment.h"

namespace aafgan::models {

enum class KeyKind {
  integer,
  number,
  flag,     // 0/1
  text,     // a string, limited to `choices` when there are any
  names,    // a list of activation names (GEN_MODELS, …)
  seeds,    // the list of non-negative seeds
  section,  // GENERATOR / DISCRIMINATOR
  ignored,  // a reference key with no effect here (data-loader and logging details)
};

// The command-line flag that overrides a key; name "" = none.
struct KeyFlag {
  std::string name;  // "--epochs"
  // The --help text, given the key's value in the app's defaults (as its JSON value).
  std::function<std::string(const nlohmann::json& default_value)> help;
  // Flag spelling → JSON value, for a key whose flag speaks differently (--dtype float64 means
  // DOUBLE_TENSORS 1); empty = the flag takes the JSON value itself.
  std::vector<std::pair<std::string, nlohmann::json>> spellings;
  bool comma_list = false;  // "a,b" → ["a", "b"]
};

struct ExperimentKey {
  std::string name;  // the JSON name; "OBJECT.key" for a key inside an object
  KeyKind kind = KeyKind::ignored;
  Bounds bounds;                     // integer and number keys
  std::vector<std::string> choices;  // text keys limited to these values
  // What a file that omits the key means, read like a value the file gave; null = the key
  // keeps the app's default (or, for sections and the like, `read` gets a null value).
  nlohmann::json absent;
  bool omit_when_absent = false;  // to_json leaves the key out when it has its `absent` value
  bool required_in_object = false;  // an OBJECT given without this key is an error
  // Reads `v` (null: see `absent`) into e; errors name `field` (the JSON name, or the flag).
  std::function<void(const ConfigReader&, const std::string& field, const nlohmann::json* v, Experiment&)> read;
  // The value to_json writes; null = leave the key out.
  std::function<nlohmann::json(const Experiment&)> write;
  KeyFlag flag;

  std::string top() const;     // the top-level name: OBJECT, or the name itself
  std::string object() const;  // OBJECT, or "" for a top-level key
  std::string leaf() const;    // the name inside OBJECT, or the name itself
  bool numeric() const { return kind == KeyKind::integer || kind == KeyKind::number; }
};

// In reading order: a key may depend on those before it (N_SEEDS on SEEDS; the networks on
// NOISE_SIZE, CHANNELS and CONDITIONAL_LABELS; INIT_NET_WEIGHTS overrides the networks').
const std::vector<ExperimentKey>& experiment_keys();
const ExperimentKey& experiment_key(const std::string& name);  // throws for an unknown name

// Values given for keys by their flags, as JSON values keyed by the key's name.
struct ExperimentOverrides {
  std::map<std::string, nlohmann::json> values;

  bool has(const std::string& key) const { return values.count(key) != 0; }
};

// Reads each override through its key's row, in table order, over e: the same checks as a
// file's value, with errors naming the flag.
void apply_overrides(const ExperimentOverrides& o, Experiment& e);

}  // namespace aafgan::models
