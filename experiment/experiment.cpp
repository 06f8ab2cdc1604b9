#include "experiment/experiment.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "base/error.h"
#include "base/model_folder_name.h"
#include "experiment/config_file.h"
#include "experiment/config_reader.h"
#include "experiment/experiment_keys.h"

namespace aafgan::models {

using json = nlohmann::json;

namespace {

void check_name(const std::string& name, const std::string& what, const std::vector<std::string>& valid,
                const char* kind) {
  if (std::find(valid.begin(), valid.end(), name) == valid.end())
    fail("{}: {} is not {} activation; valid names: {}", what, preview(name), kind, join(valid));
}

json read_file(const std::string& path) {
  json doc = read_config_file(path);
  if (!doc.is_object()) fail("{}: expected an object of experiments keyed by name", path);
  return doc;
}

// "a, b, c, … and 97 more": a file may hold thousands of experiments, each name megabytes long.
std::string some_names(const json& obj) {
  std::vector<std::string> names;
  for (const auto& item : obj.items()) {
    if (names.size() == 20) {
      names.push_back(fmt::format("… and {} more", obj.size() - 20));
      break;
    }
    names.push_back(item.key().size() > 80 ? preview(item.key()) : item.key());
  }
  return names.empty() ? "(none)" : join(names);
}

// A comment's value is copied into config.json while it is small: the reference's are flags.
constexpr size_t kMaxRecordedComment = 256;

void drop_big_comments(json& v, std::vector<std::string>& dropped) {
  if (v.is_array())
    for (json& x : v) drop_big_comments(x, dropped);
  if (!v.is_object()) return;
  for (auto it = v.begin(); it != v.end();) {
    if (is_comment(it.key()) && it.value().dump(-1, ' ', false, json::error_handler_t::replace).size() > kMaxRecordedComment) {
      dropped.push_back(preview(it.key()));
      it = v.erase(it);
    } else {
      drop_big_comments(it.value(), dropped);
      ++it;
    }
  }
}

const json* find(const json& obj, const std::string& name) {
  auto it = obj.find(name);
  return it == obj.end() ? nullptr : &*it;
}

// An object holding several keys (LEARNING_RATE_DECAY, OPTIMIZER_OPTIONAL_PARAMS): its keys are
// the table's rows named OBJECT.key.
void check_object(const ConfigReader& r, const std::string& name, const json& v) {
  std::vector<std::string> leaves, required;
  for (const ExperimentKey& k : experiment_keys()) {
    if (k.object() != name) continue;
    leaves.push_back(k.leaf());
    if (k.required_in_object) required.push_back(k.leaf());
  }
  bool ok = v.is_object();
  for (const std::string& leaf : required) ok = ok && v.contains(leaf);
  if (!ok)
    r.error(name, fmt::format("expected an object of {}{}, found {}", join(leaves),
                              required.empty() ? "" : fmt::format(" ({} required)", join(required)), show(v)));
  for (const auto& item : v.items())
    if (!is_comment(item.key()) && std::find(leaves.begin(), leaves.end(), item.key()) == leaves.end())
      r.error(name + "." + item.key(), fmt::format("unknown key; valid keys: {}", join(leaves)));
}

}  // namespace

// ---------------------------------------------------------------------------------------------

namespace {

std::vector<std::string> model_names(kernels::ActUse use) {
  std::vector<std::string> v{"default"};
  for (Act a : kernels::kAllActs)
    if (kernels::act_use(a) == use) v.push_back(kernels::act_name(a));
  return v;
}

}  // namespace

const std::vector<std::string>& output_model_names() {
  static const std::vector<std::string> v = model_names(kernels::ActUse::output);
  return v;
}

const std::vector<std::string>& hidden_model_names() {
  static const std::vector<std::string> v = model_names(kernels::ActUse::hidden);
  return v;
}

std::optional<Act> model_act(const std::string& name, kernels::ActUse use, const std::string& what) {
  const bool output = use == kernels::ActUse::output;
  check_name(name, what, output ? output_model_names() : hidden_model_names(), output ? "an output" : "a hidden");
  if (name == "default") return std::nullopt;
  return parse_act(name);
}

void check_output_model(const std::string& name, const std::string& what) {
  model_act(name, kernels::ActUse::output, what);
}

void check_hidden_model(const std::string& name, const std::string& what) {
  model_act(name, kernels::ActUse::hidden, what);
}

void ModelChoice::validate() const {
  check_output_model(gen, "generator output");
  check_output_model(dis, "discriminator output");
  check_hidden_model(gen_hidden, "generator hidden");
  check_hidden_model(dis_hidden, "discriminator hidden");
}

bool ModelChoice::all_default() const {
  return gen == "default" && dis == "default" && gen_hidden == "default" && dis_hidden == "default";
}

bool ModelChoice::operator==(const ModelChoice& o) const {
  return gen == o.gen && dis == o.dis && gen_hidden == o.gen_hidden && dis_hidden == o.dis_hidden;
}

std::string run_dir_name(const ModelChoice& m) {
  return model_folder_name(ModelFolderParts{m.dis_hidden, m.gen_hidden, m.dis, m.gen});
}

Experiment mnist_defaults() {
  Experiment e;
  e.arch = Arch::mlp_condgan;
  e.key = "condgan_mlp_lr001_decay95e31";
  e.dataset = "MNIST";
  e.dtype = DType::f32;
  e.batch_size = 100;
  e.epochs = 100;
  e.lr = 0.001;
  e.beta1 = 0.5;
  e.beta2 = 0.999;
  e.eps = 1e-8;
  e.lr_decay_rate = 0.95;
  e.lr_decay_until = 31;
  e.experiment_dir = "experiment_mnist_condgan-mlp_lr001_decay95e31";
  e.samples_in_visualization = 30;
  e.verbose_batch_step = 300;
  e.img_size = 28;
  e.channels = 1;
  e.noise_size = 100;
  e.seeds = {1370519191, 185741603,  1082887045, 1697297262, 1561104173,
             4215049825, 3241955232, 3744541448, 1184274750, 1340025035};
  e.n_seeds = 1;
  e.generate_n = 1000;
  e.conditional_labels = 10;
  e.gen_hidden_slope = e.dis_hidden_slope = 0.2;
  return e;
}

Experiment celeba_defaults() {
  Experiment e;
  e.arch = Arch::dcgan;
  e.key = "celeba_dcgan";
  e.dataset = "CelebA";
  e.dtype = DType::f32;
  e.batch_size = 128;
  e.epochs = 25;
  e.lr = 0.0002;
  e.beta1 = 0.5;
  e.beta2 = 0.999;
  e.eps = 1e-8;
  e.lr_decay_rate = 1.0;
  e.lr_decay_until = -1;
  e.experiment_dir = "experiment_celeba-dcgan";
  e.samples_in_visualization = 25;
  e.verbose_batch_step = 212;
  e.img_size = 64;
  e.channels = 3;
  e.noise_size = 100;
  e.seeds = {197525068, 223606909, 242366910, 386126213, 464832201,
             707544568, 726944591, 757524216, 901507825, 979533043};
  e.n_seeds = 1;
  e.fid_enabled = true;
  e.generate_n = 10000;
  e.conditional_labels = 0;
  e.gen_hidden_slope = 0.0;  // ReLU in G, LeakyReLU(0.2) in D
  e.dis_hidden_slope = 0.2;
  e.gen_init_weights = 1;
  e.dis_init_weights = 1;
  return e;
}

Experiment load_experiment(const std::string& path, const std::string& key, Experiment defaults) {
  const json doc = read_file(path);
  if (!doc.contains(key)) {
    fail("{}: no experiment \"{}\"; available: {}", path, key, some_names(doc));
  }
  const json& obj = doc[key];
  if (!obj.is_object()) fail("{}: experiment \"{}\": expected an object, found {}", path, key, show(obj));
  const ConfigReader r(fmt::format("{}: experiment \"{}\"", path, key));
  const std::vector<ExperimentKey>& table = experiment_keys();

  Experiment e = std::move(defaults);
  e.key = key;
  e.raw = obj;
  e.warnings.clear();
  for (const auto& item : obj.items()) {
    const std::string& k = item.key();
    const bool known = std::any_of(table.begin(), table.end(), [&](const ExperimentKey& row) { return row.top() == k; });
    if (!known && !is_comment(k)) {
      e.warnings.push_back(fmt::format("{}: unknown key {} ignored, value {}", r.where(), preview(k), show(item.value())));
      leave_out_of_record(e.raw, "", k);
    }
  }

  std::set<std::string> objects_checked;
  for (const ExperimentKey& k : table) {
    const json* v = find(obj, k.top());
    if (v && !k.object().empty()) {
      if (objects_checked.insert(k.object()).second) check_object(r, k.object(), *v);
      v = find(*v, k.leaf());
    }
    if (!v && !k.absent.is_null()) v = &k.absent;
    k.read(r, k.name, v, e);
  }
  std::vector<std::string> big_comments;
  drop_big_comments(e.raw, big_comments);
  for (const std::string& name : big_comments) note_left_out(e.raw, name + " (a comment over 256 bytes)");
  return e;
}

void leave_out_of_record(json& record, const std::string& section, const std::string& key) {
  json* holder = section.empty() ? &record : record.contains(section) ? &record[section] : nullptr;
  if (!holder || !holder->is_object() || !holder->contains(key)) return;
  holder->erase(key);
  note_left_out(record, section.empty() ? preview(key) : section + "." + preview(key));
}

void note_left_out(json& record, const std::string& name) {
  json& notes = record[kLeftOutKey];
  if (!notes.is_array()) notes = json::array();
  if (notes.size() < 20) notes.push_back(name);
  else if (notes.size() == 20) notes.push_back("… and more");
}

json initializer_for(const json& initializers, const std::string& name) {
  if (!initializers.is_object()) return nullptr;
  auto it = initializers.find(upper(name) + "_INITIALIZER");
  return it == initializers.end() ? json(nullptr) : *it;
}

json to_json(const Experiment& e) {
  json j = json::object();
  j["_key"] = e.key;  // a comment (the loader skips it) saying which experiment this was
  for (const ExperimentKey& k : experiment_keys()) {
    const json v = k.write(e);
    if (v.is_null() || (k.omit_when_absent && v == k.absent)) continue;
    (k.object().empty() ? j[k.name] : j[k.object()][k.leaf()]) = v;
  }
  // An object without a key it requires would not load: no LEARNING_RATE_DECAY without DECAY_RATE.
  for (const ExperimentKey& k : experiment_keys())
    if (k.required_in_object && j.contains(k.object()) && !j[k.object()].contains(k.leaf())) j.erase(k.object());
  return j;
}

std::vector<RunSpec> expand_grid(const Experiment& e) {
  if (e.seeds.empty()) fail("experiment \"{}\": no seeds", e.key);
  if (e.n_seeds < 1 || static_cast<size_t>(e.n_seeds) > e.seeds.size())
    fail("experiment \"{}\": {} seed(s) requested but the seed list has {}", e.key, e.n_seeds, e.seeds.size());
  auto check_list = [&](const std::vector<std::string>& names, const char* field, bool output) {
    if (names.empty()) fail("experiment \"{}\": {} is empty", e.key, field);
    std::set<std::string> seen;
    for (size_t i = 0; i < names.size(); ++i) {
      const std::string what = fmt::format("experiment \"{}\": {}[{}]", e.key, field, i);
      output ? check_output_model(names[i], what) : check_hidden_model(names[i], what);
      if (!seen.insert(names[i]).second) fail("{}: \"{}\" is listed twice", what, names[i]);
    }
  };
  check_list(e.gen_models, "GEN_MODELS", true);
  check_list(e.dis_models, "DIS_MODELS", true);
  check_list(e.gen_hidden_models, "GEN_HIDDEN_MODELS", false);
  check_list(e.dis_hidden_models, "DIS_HIDDEN_MODELS", false);

  const std::string def = "default";
  std::vector<RunSpec> runs;
  // Loop nesting as the reference's Experiment.run, so runs and their dirs come in its order.
  for (const auto& dis : e.dis_models)
    for (const auto& gen : e.gen_models)
      for (const auto& dis_hidden : e.dis_hidden_models)
        for (const auto& gen_hidden : e.gen_hidden_models) {
          const bool output_changed = gen != def || dis != def;
          const bool hidden_changed = gen_hidden != def || dis_hidden != def;
          if (output_changed && hidden_changed) continue;
          if (e.skip_default && !output_changed && !hidden_changed) continue;
          if (e.skip_diff_hidden && gen_hidden != dis_hidden && gen_hidden != def && dis_hidden != def) continue;
          if (e.skip_diff_output && gen != dis && gen != def && dis != def) continue;
          const ModelChoice m{gen, dis, gen_hidden, dis_hidden};
          const std::filesystem::path base = std::filesystem::path(e.experiment_dir) / run_dir_name(m);
          for (int i = 0; i < e.n_seeds; ++i)
            runs.push_back({m, i, e.seeds[static_cast<size_t>(i)], (base / std::to_string(i)).string()});
        }
  return runs;
}

}  // namespace aafgan::models
