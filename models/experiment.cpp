#include "models/experiment.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "engine/error.h"
#include "engine/nn/adaptive.h"
#include "engine/random.h"

namespace aafgan::models {

using json = nlohmann::json;

namespace {

std::string join(const std::vector<std::string>& names, const char* sep = ", ") {
  std::string s;
  for (size_t i = 0; i < names.size(); ++i) s += (i ? sep : "") + names[i];
  return s;
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

bool is_comment(const std::string& key) { return !key.empty() && key[0] == '_'; }

// Long values (a layer list) would drown the message.
std::string show(const json& v) {
  std::string s = v.dump();
  return s.size() > 80 ? s.substr(0, 77) + "..." : s;
}

void check_name(const std::string& name, const std::string& what, const std::vector<std::string>& valid,
                const char* kind) {
  if (std::find(valid.begin(), valid.end(), name) == valid.end())
    fail("{}: \"{}\" is not {} activation; valid names: {}", what, name, kind, join(valid));
}

const char* arch_desc(Arch a) {
  return a == Arch::mlp_condgan ? "the conditional MLP of gan-protocol §1" : "the DCGAN of gan-protocol §2";
}

// ---------------------------------------------------------------------------------------------
// The fixed networks as layer lists in the reference format: checked against a config's lists
// and written back by to_json.

struct LayerSpec {
  json required;  // "type" and the keys that must be present with exactly these values
  json optional;  // keys that may be present, and then must have these values
};

LayerSpec layer(json required, json optional = json::object()) { return {std::move(required), std::move(optional)}; }

struct NetLayers {
  const char* list;  // the config key holding them
  std::vector<LayerSpec> layers;
};

NetLayers arch_layers(const Experiment& e, bool gen) {
  const json relu = {{"type", "custom_relu"}};
  const json last = {{"type", "last_activation"}};
  if (e.arch == Arch::mlp_condgan) {
    const int img = e.channels * e.img_size * e.img_size;
    std::vector<int> widths = gen ? std::vector<int>{256, 512, 1024} : std::vector<int>{1024, 512, 256};
    int in = gen ? e.noise_size + e.conditional_labels : img + e.conditional_labels;
    std::vector<LayerSpec> v;
    for (int w : widths) {
      v.push_back(layer({{"type", "Linear"}, {"out", w}}, {{"in", in}}));
      v.push_back(layer(relu));
      if (!gen) v.push_back(layer({{"type", "Dropout"}, {"v", 0.3}}));
      in = w;
    }
    v.push_back(layer({{"type", "Linear"}, {"flag", "END"}}, {{"in", in}, {"out", gen ? img : 1}}));
    v.push_back(layer(last));
    return {"layers", std::move(v)};
  }
  const int c = e.channels;
  auto conv = [&](int in, int out, int stride, int pad, int size) {
    return layer({{"type", gen ? "Deconv2d" : "Conv2d"},
                  {"in_channels", in},
                  {"out_channels", out},
                  {"kernel_size", 4},
                  {"stride", stride},
                  {"padding", pad}},
                 {{"bias", 0}, {"out", {out, size, size}}});
  };
  auto bn = [](int n) { return layer({{"type", "BatchNorm"}, {"v", n}}); };
  std::vector<LayerSpec> v;
  if (gen) {
    v = {conv(e.noise_size, 1024, 1, 0, 4),
         bn(1024),
         layer(relu),
         conv(1024, 512, 2, 1, 8),
         bn(512),
         layer(relu),
         conv(512, 256, 2, 1, 16),
         bn(256),
         layer(relu),
         conv(256, 128, 2, 1, 32),
         bn(128),
         layer(relu),
         conv(128, c, 2, 1, 64),
         layer(last)};
  } else {
    v = {conv(c, 128, 2, 1, 32),
         layer(relu),
         conv(128, 256, 2, 1, 16),
         bn(256),
         layer(relu),
         conv(256, 512, 2, 1, 8),
         bn(512),
         layer(relu),
         conv(512, 1024, 2, 1, 4),
         bn(1024),
         layer(relu),
         conv(1024, 1, 1, 0, 1),
         layer(last)};
  }
  return {"features_layers", std::move(v)};
}

// n_in / n_out of a network section: the first value listed is what to_json writes.
struct NetDims {
  std::vector<json> n_in;
  json n_out;
};

NetDims arch_dims(const Experiment& e, bool gen) {
  const int pixels = e.img_size * e.img_size;
  if (e.arch == Arch::mlp_condgan) {
    if (gen) return {{e.noise_size + e.conditional_labels}, e.channels * pixels};
    return {{e.channels * pixels + e.conditional_labels}, 1};
  }
  if (gen) return {{e.noise_size}, json{e.channels, e.img_size, e.img_size}};
  // The reference D declared n_in 4096 (= 64·64, not counting channels); convolutions ignore it.
  std::vector<json> in{pixels};
  if (e.channels != 1) in.push_back(e.channels * pixels);
  return {in, 1};
}

// ---------------------------------------------------------------------------------------------

const std::vector<std::string>& activation_spellings() {
  static const std::vector<std::string> v{"BHSA", "BHAA", "BHATA", "BHANA", "DSILU", "SHReLU", "MiDA"};
  return v;
}

std::vector<std::string> initializer_keys() {
  std::vector<std::string> v;
  for (const auto& n : activation_spellings()) v.push_back(upper(n) + "_INITIALIZER");
  return v;
}

// Reads one experiment object, every error naming the file, the key and the field.
class Reader {
 public:
  Reader(std::string file, std::string key, const json& obj)
      : file_(std::move(file)), key_(std::move(key)), obj_(obj) {}

  [[noreturn]] void error(const std::string& field, const std::string& msg) const {
    fail("{}: experiment \"{}\": {}: {}", file_, key_, field, msg);
  }

  const json* find(const json& obj, const char* name) const {
    auto it = obj.find(name);
    return it == obj.end() ? nullptr : &*it;
  }
  const json* top(const char* name) const { return find(obj_, name); }

  int integer(const json& v, const std::string& field, int lo, int hi = INT_MAX) const {
    if (!v.is_number_integer()) error(field, fmt::format("expected an integer, found {}", show(v)));
    const int64_t x = v.get<int64_t>();
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT_MAX))
      error(field, fmt::format("{} is out of range", show(v)));
    if (x < lo || x > hi)
      error(field, hi == INT_MAX ? fmt::format("must be at least {}, found {}", lo, x)
                                 : fmt::format("must be in [{}, {}], found {}", lo, hi, x));
    return static_cast<int>(x);
  }

  // Checks lo < v (or lo <= v with closed_lo) and v < hi.
  double number(const json& v, const std::string& field, double lo, bool closed_lo, double hi = INFINITY) const {
    if (!v.is_number()) error(field, fmt::format("expected a number, found {}", show(v)));
    const double x = v.get<double>();
    const bool ok = std::isfinite(x) && (closed_lo ? x >= lo : x > lo) && x < hi;
    if (!ok)
      error(field, fmt::format("must be {} {}{}, found {}", closed_lo ? ">=" : ">", lo,
                               std::isfinite(hi) ? fmt::format(" and < {}", hi) : "", x));
    return x;
  }

  // The reference writes flags as 0/1.
  bool flag(const json& v, const std::string& field) const {
    if (v.is_boolean()) return v.get<bool>();
    if (v.is_number_integer() && (v.get<int64_t>() == 0 || v.get<int64_t>() == 1)) return v.get<int64_t>() == 1;
    error(field, fmt::format("expected 0 or 1, found {}", show(v)));
  }

  std::string string(const json& v, const std::string& field) const {
    if (!v.is_string()) error(field, fmt::format("expected a string, found {}", show(v)));
    return v.get<std::string>();
  }

  std::vector<std::string> model_list(const json& v, const std::string& field, bool output) const {
    if (!v.is_array() || v.empty()) error(field, fmt::format("expected a non-empty list of names, found {}", show(v)));
    std::vector<std::string> names;
    for (size_t i = 0; i < v.size(); ++i) {
      const std::string f = fmt::format("{}[{}]", field, i);
      const std::string name = string(v[i], f);
      try {
        output ? check_output_model(name, f) : check_hidden_model(name, f);
      } catch (const Error& ex) {
        fail("{}: experiment \"{}\": {}", file_, key_, ex.what());
      }
      if (std::find(names.begin(), names.end(), name) != names.end())
        error(f, fmt::format("\"{}\" is listed twice", name));
      names.push_back(name);
    }
    return names;
  }

  const std::string& file() const { return file_; }
  const std::string& key() const { return key_; }

 private:
  std::string file_, key_;
  const json& obj_;
};

void read_initializer(const Reader& r, const std::string& field, const std::string& act_key, const json& spec, bool gen,
                      json& out) {
  const auto keys = initializer_keys();
  const auto it = std::find(keys.begin(), keys.end(), act_key);
  if (it == keys.end()) r.error(field, fmt::format("unknown initialiser key; valid keys: {}", join(keys)));
  const std::string& act_name = activation_spellings()[static_cast<size_t>(it - keys.begin())];
  // Building a throwaway layer applies exactly the rules the model builder will apply later,
  // so a bad spec fails now, with the file and field named, not minutes into a grid.
  try {
    Generator scratch(0);
    nn::AdaptiveActivation probe(parse_act(act_name), gen ? Range::sym : Range::unit, Shape{1}, spec, scratch);
  } catch (const Error& ex) {
    r.error(field, ex.what());
  }
  out[act_key] = spec;
}

json read_init_weights(const Reader& r, const std::string& field, const json& v) {
  if (!v.is_object() || !v.contains("name") || !v["name"].is_string())
    r.error(field, fmt::format("expected {{\"name\": \"default\" | \"glorot\" | \"he_normal\"}}, found {}", show(v)));
  const std::string name = v["name"].get<std::string>();
  if (name != "default" && name != "glorot" && name != "he_normal")
    r.error(field, fmt::format("unknown initialisation \"{}\"; valid names: default, glorot, he_normal", name));
  for (const auto& item : v.items())
    if (item.key() != "name" && !is_comment(item.key())) r.error(field, fmt::format("unknown key \"{}\"", item.key()));
  return v;
}

double check_layers(const Reader& r, const std::string& field, const json& list, const std::vector<LayerSpec>& want,
                    Arch arch) {
  if (!list.is_array()) r.error(field, fmt::format("expected a list of layers, found {}", show(list)));
  double slope = -1;
  std::string slope_at;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string f = fmt::format("{}[{}]", field, i);
    const json& l = list[i];
    if (!l.is_object() || !l.contains("type") || !l["type"].is_string())
      r.error(f, fmt::format("expected a layer object with a \"type\", found {}", show(l)));
    if (i >= want.size())
      r.error(f, fmt::format("extra layer {}: {} has {} layers here", show(l), arch_desc(arch), want.size()));
    const LayerSpec& spec = want[i];
    const std::string type = l["type"].get<std::string>();
    if (l["type"] != spec.required["type"])
      r.error(f, fmt::format("type \"{}\", but {} has {} here", type, arch_desc(arch), show(spec.required)));
    for (const auto& req : spec.required.items())
      if (!l.contains(req.key())) r.error(f, fmt::format("missing \"{}\" (expected {})", req.key(), show(req.value())));
    for (const auto& item : l.items()) {
      const std::string& k = item.key();
      const json& v = item.value();
      if (k == "type" || is_comment(k)) continue;
      const json* expect = nullptr;
      if (spec.required.contains(k)) expect = &spec.required[k];
      if (spec.optional.contains(k)) expect = &spec.optional[k];
      if (type == "custom_relu" && k == "LRelu_v") {
        r.number(v, f + ".LRelu_v", 0.0, true, 1.0);
        continue;
      }
      if (!expect) r.error(f, fmt::format("unknown key \"{}\"", k));
      const bool same = k == "bias" ? (v == 0 || v == false) : v == *expect;
      if (!same)
        r.error(f + "." + k, fmt::format("{}, but {} has {} here (the network is fixed; the layer lists only "
                                         "describe it)",
                                         show(v), arch_desc(arch), show(*expect)));
    }
    if (type == "custom_relu") {
      // A custom_relu without LRelu_v was a plain ReLU in the reference.
      const double s = l.contains("LRelu_v") ? l["LRelu_v"].get<double>() : 0.0;
      if (slope >= 0 && s != slope)
        r.error(f, fmt::format("hidden slope {} differs from {} at {}; one slope per network is supported", s, slope,
                               slope_at));
      slope = s;
      slope_at = f;
    }
  }
  if (list.size() != want.size())
    r.error(field, fmt::format("{} layers, but {} has {}", list.size(), arch_desc(arch), want.size()));
  return slope;
}

void read_net(const Reader& r, const char* section, bool gen, const json& top_init_weights, Experiment& e) {
  json& inits = gen ? e.gen_initializers : e.dis_initializers;
  json& weights = gen ? e.gen_init_weights : e.dis_init_weights;
  double& slope = gen ? e.gen_hidden_slope : e.dis_hidden_slope;
  inits = json::object();
  weights = nullptr;

  const json* net = r.top(section);
  if (net) {
    if (!net->is_object()) r.error(section, fmt::format("expected an object, found {}", show(*net)));
    const NetDims dims = arch_dims(e, gen);
    const NetLayers layers = arch_layers(e, gen);
    const char* other_list = layers.list == std::string("layers") ? "features_layers" : "layers";
    for (const auto& item : net->items()) {
      const std::string& k = item.key();
      const json& v = item.value();
      const std::string f = std::string(section) + "." + k;
      if (is_comment(k)) continue;
      if (k.size() > 12 && k.compare(k.size() - 12, 12, "_INITIALIZER") == 0) {
        read_initializer(r, f, k, v, gen, inits);
      } else if (k == "INIT_NET_WEIGHTS") {
        weights = read_init_weights(r, f, v);
      } else if (k == "CONDITIONAL_LABELS") {
        if (r.integer(v, f, 0) != e.conditional_labels)
          r.error(f, fmt::format("{}, but the top-level CONDITIONAL_LABELS gives {}", show(v), e.conditional_labels));
      } else if (k == "n_in") {
        if (std::find(dims.n_in.begin(), dims.n_in.end(), v) == dims.n_in.end())
          r.error(f, fmt::format("{}, but {} takes {} here", show(v), arch_desc(e.arch), show(dims.n_in.front())));
      } else if (k == "n_out") {
        if (v != dims.n_out)
          r.error(f, fmt::format("{}, but {} gives {} here", show(v), arch_desc(e.arch), show(dims.n_out)));
      } else if (k == "n_out_features_layers" && e.arch == Arch::dcgan && !gen) {
        if (v != 1) r.error(f, fmt::format("{}, but the DCGAN discriminator ends in 1 value", show(v)));
      } else if (k == layers.list) {
        const double s = check_layers(r, f, v, layers.layers, e.arch);
        if (s >= 0) slope = s;
      } else if (k == other_list || k == "labels_layers") {
        r.error(f, fmt::format("this app trains {}, which has no \"{}\"; is this the other app's config?",
                               arch_desc(e.arch), k));
      } else {
        e.warnings.push_back(fmt::format("{}: experiment \"{}\": unknown key {} ignored", r.file(), r.key(), f));
      }
    }
  }
  // The reference applied the top-level DCGAN initialisation after the network's own, so it wins.
  if (top_init_weights == 1) weights = 1;

  // BHATA was built from the BHAA spec in the reference.
  if (!inits.contains("BHATA_INITIALIZER") && inits.contains("BHAA_INITIALIZER"))
    inits["BHATA_INITIALIZER"] = inits["BHAA_INITIALIZER"];
}

json read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail("{}: cannot open the experiment config", path);
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::parse_error& ex) {
    fail("{}: not valid JSON: {}", path, ex.what());
  }
  if (!doc.is_object()) fail("{}: expected an object of experiments keyed by name", path);
  return doc;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

const std::vector<std::string>& output_model_names() {
  static const std::vector<std::string> v{"default", "BHSA", "BHAA", "BHATA", "BHANA", "DSILU"};
  return v;
}

const std::vector<std::string>& hidden_model_names() {
  static const std::vector<std::string> v{"default", "SHReLU", "Mish", "MiDA"};
  return v;
}

void check_output_model(const std::string& name, const std::string& what) {
  check_name(name, what, output_model_names(), "an output");
}

void check_hidden_model(const std::string& name, const std::string& what) {
  check_name(name, what, hidden_model_names(), "a hidden");
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
  std::string s = "output";
  if (m.dis_hidden != "default") s += "_D" + m.dis_hidden;
  if (m.gen_hidden != "default") s += "_G" + m.gen_hidden;
  if (m.dis != "default") s += "_Dis_" + m.dis;
  if (m.gen != "default") s += "_Gen_" + m.gen;
  return s;
}

double Experiment::lr_at_epoch(int epoch) const {
  const int decays = lr_decay_until < 0 ? epoch : std::min(epoch, lr_decay_until);
  return lr * std::pow(lr_decay_rate, std::max(decays, 0));
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
    std::vector<std::string> keys;
    for (const auto& item : doc.items()) keys.push_back(item.key());
    fail("{}: no experiment \"{}\"; available: {}", path, key, keys.empty() ? "(none)" : join(keys));
  }
  const json& obj = doc[key];
  if (!obj.is_object()) fail("{}: experiment \"{}\": expected an object, found {}", path, key, show(obj));
  const Reader r(path, key, obj);

  Experiment e = std::move(defaults);
  const Arch arch = e.arch;
  const int app_img_size = e.img_size, app_channels = e.channels, app_labels = e.conditional_labels;
  e.key = key;
  e.raw = obj;
  e.warnings.clear();
  // Keys the reference treated as optional mean what their absence meant there (see header).
  e.lr_decay_rate = 1.0;
  e.lr_decay_until = -1;
  e.beta1 = 0.9;
  e.beta2 = 0.999;
  e.eps = 1e-8;
  e.freeze_epoch = -1;
  e.skip_default = e.skip_diff_hidden = e.skip_diff_output = false;
  e.fid_enabled = e.parzen_enabled = false;
  e.generate_n = 1000;

  // Reference keys with no effect here: data-loader, logging and sample-file details.
  static const std::set<std::string> kIgnored{"VERSION",
                                              "PIN_MEMORY",
                                              "VERBOSE_EPOCH_STEP",
                                              "LIMIT_SAMPLES_CSV_GENERATION",
                                              "IGNORE_CONDITIONAL_ACCURACY_CALCULATION",
                                              "IGNORE_SAMPLE_GENERATION"};
  static const std::set<std::string> kRead{"DATASET",
                                           "DOUBLE_TENSORS",
                                           "BATCH_SIZE",
                                           "EPOCHS",
                                           "OPTIMIZER",
                                           "LEARNING_RATE",
                                           "LEARNING_RATE_DECAY",
                                           "OPTIMIZER_OPTIONAL_PARAMS",
                                           "EXPERIMENT_DIR",
                                           "SAMPLES_IN_VISUALIZATION",
                                           "VERBOSE_BATCH_STEP",
                                           "IMG_SIZE",
                                           "CHANNELS",
                                           "N_SEEDS",
                                           "SEEDS",
                                           "NOISE_SIZE",
                                           "GEN_MODELS",
                                           "DIS_MODELS",
                                           "GEN_HIDDEN_MODELS",
                                           "DIS_HIDDEN_MODELS",
                                           "SKIP_DEFAULT",
                                           "SKIP_DIFF_HIDDEN",
                                           "SKIP_DIFF_OUTPUT",
                                           "CONDITIONAL_LABELS",
                                           "GENERATOR",
                                           "DISCRIMINATOR",
                                           "GENERATE_N_IN_CSV",
                                           "FID_ENABLED",
                                           "ENABLE_PARZEN_LL_METRIC",
                                           "INIT_NET_WEIGHTS",
                                           "FREEZE_CUSTOM_PARAMETERS_EPOCH"};
  for (const auto& item : obj.items()) {
    const std::string& k = item.key();
    if (is_comment(k) || kIgnored.count(k) || kRead.count(k)) continue;
    e.warnings.push_back(fmt::format("{}: experiment \"{}\": unknown key {} ignored", path, key, k));
  }

  if (auto v = r.top("DATASET")) e.dataset = r.string(*v, "DATASET");
  if (auto v = r.top("DOUBLE_TENSORS")) e.dtype = r.flag(*v, "DOUBLE_TENSORS") ? DType::f64 : DType::f32;
  if (auto v = r.top("BATCH_SIZE")) e.batch_size = r.integer(*v, "BATCH_SIZE", 1);
  if (auto v = r.top("EPOCHS")) e.epochs = r.integer(*v, "EPOCHS", 1);
  if (auto v = r.top("OPTIMIZER")) {
    const std::string opt = r.string(*v, "OPTIMIZER");
    if (opt != "adam") r.error("OPTIMIZER", fmt::format("\"{}\" is not supported; the GANs train with \"adam\"", opt));
  }
  if (auto v = r.top("LEARNING_RATE")) e.lr = r.number(*v, "LEARNING_RATE", 0.0, false);
  if (auto v = r.top("OPTIMIZER_OPTIONAL_PARAMS")) {
    if (!v->is_object())
      r.error("OPTIMIZER_OPTIONAL_PARAMS",
              fmt::format("expected an object such as {{\"beta1\": 0.5}}, found {}", show(*v)));
    for (const auto& item : v->items()) {
      const std::string f = "OPTIMIZER_OPTIONAL_PARAMS." + item.key();
      if (item.key() == "beta1")
        e.beta1 = r.number(item.value(), f, 0.0, true, 1.0);
      else if (item.key() == "beta2")
        e.beta2 = r.number(item.value(), f, 0.0, true, 1.0);
      else if (item.key() == "eps")
        e.eps = r.number(item.value(), f, 0.0, false);
      else if (!is_comment(item.key()))
        r.error(f, "unknown key; valid keys: beta1, beta2, eps");
    }
  }
  if (auto v = r.top("LEARNING_RATE_DECAY")) {
    const char* f = "LEARNING_RATE_DECAY";
    if (!v->is_object() || !v->contains("DECAY_RATE"))
      r.error(f, fmt::format("expected {{\"DECAY_RATE\": r, \"LAST_EPOCH_DECAY\": e}}, found {}", show(*v)));
    for (const auto& item : v->items()) {
      const std::string fk = std::string(f) + "." + item.key();
      if (item.key() == "DECAY_RATE")
        e.lr_decay_rate = r.number(item.value(), fk, 0.0, false);
      else if (item.key() == "LAST_EPOCH_DECAY")
        e.lr_decay_until = r.integer(item.value(), fk, -1);
      else if (!is_comment(item.key()))
        r.error(fk, "unknown key; valid keys: DECAY_RATE, LAST_EPOCH_DECAY");
    }
  }
  if (auto v = r.top("FREEZE_CUSTOM_PARAMETERS_EPOCH"))
    e.freeze_epoch = r.integer(*v, "FREEZE_CUSTOM_PARAMETERS_EPOCH", -1);
  if (auto v = r.top("EXPERIMENT_DIR")) e.experiment_dir = r.string(*v, "EXPERIMENT_DIR");
  if (auto v = r.top("SAMPLES_IN_VISUALIZATION"))
    e.samples_in_visualization = r.integer(*v, "SAMPLES_IN_VISUALIZATION", 1);
  if (auto v = r.top("VERBOSE_BATCH_STEP")) e.verbose_batch_step = r.integer(*v, "VERBOSE_BATCH_STEP", 1);

  // The architecture is fixed by the app: these may only restate it.
  if (auto v = r.top("IMG_SIZE")) {
    if (r.integer(*v, "IMG_SIZE", 1) != app_img_size)
      r.error("IMG_SIZE",
              fmt::format("{}, but {} takes {}×{} images", show(*v), arch_desc(arch), app_img_size, app_img_size));
  }
  if (auto v = r.top("CHANNELS")) {
    e.channels = r.integer(*v, "CHANNELS", 1);
    if (arch == Arch::mlp_condgan && e.channels != app_channels)
      r.error("CHANNELS", fmt::format("{}, but {} takes {} channel(s)", e.channels, arch_desc(arch), app_channels));
  }
  // Absent CONDITIONAL_LABELS made the reference train an unconditional GAN.
  const json* labels = r.top("CONDITIONAL_LABELS");
  const int n_labels = labels ? r.integer(*labels, "CONDITIONAL_LABELS", 1) : 0;
  if (n_labels != app_labels) {
    if (app_labels == 0) r.error("CONDITIONAL_LABELS", fmt::format("{} is unconditional", arch_desc(arch)));
    r.error("CONDITIONAL_LABELS", fmt::format("{}, but {} is conditioned on {} classes",
                                              labels ? show(*labels) : "absent", arch_desc(arch), app_labels));
  }
  e.conditional_labels = n_labels;
  if (auto v = r.top("NOISE_SIZE")) e.noise_size = r.integer(*v, "NOISE_SIZE", 1);

  if (auto v = r.top("SEEDS")) {
    if (!v->is_array() || v->empty()) r.error("SEEDS", fmt::format("expected a non-empty list, found {}", show(*v)));
    e.seeds.clear();
    for (size_t i = 0; i < v->size(); ++i) {
      const json& s = (*v)[i];
      if (!s.is_number_integer() || (!s.is_number_unsigned() && s.get<int64_t>() < 0))
        r.error(fmt::format("SEEDS[{}]", i), fmt::format("expected a non-negative integer, found {}", show(s)));
      e.seeds.push_back(s.get<uint64_t>());
    }
  }
  if (e.seeds.empty()) r.error("SEEDS", "no seeds given");
  e.n_seeds = static_cast<int>(e.seeds.size());
  if (auto v = r.top("N_SEEDS")) e.n_seeds = r.integer(*v, "N_SEEDS", 1, static_cast<int>(e.seeds.size()));

  if (auto v = r.top("GEN_MODELS")) e.gen_models = r.model_list(*v, "GEN_MODELS", true);
  if (auto v = r.top("DIS_MODELS")) e.dis_models = r.model_list(*v, "DIS_MODELS", true);
  if (auto v = r.top("GEN_HIDDEN_MODELS")) e.gen_hidden_models = r.model_list(*v, "GEN_HIDDEN_MODELS", false);
  if (auto v = r.top("DIS_HIDDEN_MODELS")) e.dis_hidden_models = r.model_list(*v, "DIS_HIDDEN_MODELS", false);
  if (auto v = r.top("SKIP_DEFAULT")) e.skip_default = r.flag(*v, "SKIP_DEFAULT");
  if (auto v = r.top("SKIP_DIFF_HIDDEN")) e.skip_diff_hidden = r.flag(*v, "SKIP_DIFF_HIDDEN");
  if (auto v = r.top("SKIP_DIFF_OUTPUT")) e.skip_diff_output = r.flag(*v, "SKIP_DIFF_OUTPUT");
  if (auto v = r.top("FID_ENABLED")) e.fid_enabled = r.flag(*v, "FID_ENABLED");
  if (auto v = r.top("ENABLE_PARZEN_LL_METRIC")) e.parzen_enabled = r.flag(*v, "ENABLE_PARZEN_LL_METRIC");
  if (auto v = r.top("GENERATE_N_IN_CSV")) e.generate_n = r.integer(*v, "GENERATE_N_IN_CSV", 1);

  json top_init = nullptr;
  if (auto v = r.top("INIT_NET_WEIGHTS")) {
    // The reference compared the top-level value with 1 only; per-network objects sit in
    // GENERATOR/DISCRIMINATOR.
    if (r.flag(*v, "INIT_NET_WEIGHTS")) top_init = 1;
  }
  read_net(r, "GENERATOR", true, top_init, e);
  read_net(r, "DISCRIMINATOR", false, top_init, e);
  return e;
}

json initializer_for(const json& initializers, const std::string& name) {
  if (!initializers.is_object()) return nullptr;
  auto it = initializers.find(upper(name) + "_INITIALIZER");
  return it == initializers.end() ? json(nullptr) : *it;
}

json to_json(const Experiment& e) {
  json j = json::object();
  j["_key"] = e.key;
  j["VERSION"] = "1";
  j["DATASET"] = e.dataset;
  j["DOUBLE_TENSORS"] = e.dtype == DType::f64 ? 1 : 0;
  j["BATCH_SIZE"] = e.batch_size;
  j["EPOCHS"] = e.epochs;
  j["OPTIMIZER"] = "adam";
  j["LEARNING_RATE"] = e.lr;
  if (e.lr_decay_rate != 1.0)
    j["LEARNING_RATE_DECAY"] = {{"DECAY_RATE", e.lr_decay_rate}, {"LAST_EPOCH_DECAY", e.lr_decay_until}};
  j["OPTIMIZER_OPTIONAL_PARAMS"] = {{"beta1", e.beta1}, {"beta2", e.beta2}, {"eps", e.eps}};
  if (e.freeze_epoch >= 0) j["FREEZE_CUSTOM_PARAMETERS_EPOCH"] = e.freeze_epoch;
  j["EXPERIMENT_DIR"] = e.experiment_dir;
  j["SAMPLES_IN_VISUALIZATION"] = e.samples_in_visualization;
  j["VERBOSE_BATCH_STEP"] = e.verbose_batch_step;
  j["IMG_SIZE"] = e.img_size;
  j["CHANNELS"] = e.channels;
  j["N_SEEDS"] = e.n_seeds;
  j["SEEDS"] = e.seeds;
  j["NOISE_SIZE"] = e.noise_size;
  j["GEN_MODELS"] = e.gen_models;
  j["DIS_MODELS"] = e.dis_models;
  j["GEN_HIDDEN_MODELS"] = e.gen_hidden_models;
  j["DIS_HIDDEN_MODELS"] = e.dis_hidden_models;
  // The reference tested these flags' presence, so a false one is left out rather than 0.
  if (e.skip_default) j["SKIP_DEFAULT"] = 1;
  if (e.skip_diff_hidden) j["SKIP_DIFF_HIDDEN"] = 1;
  if (e.skip_diff_output) j["SKIP_DIFF_OUTPUT"] = 1;
  j["FID_ENABLED"] = e.fid_enabled ? 1 : 0;
  if (e.parzen_enabled) j["ENABLE_PARZEN_LL_METRIC"] = 1;
  j["GENERATE_N_IN_CSV"] = e.generate_n;
  if (e.conditional_labels > 0) j["CONDITIONAL_LABELS"] = e.conditional_labels;
  const bool both_dcgan_init = e.gen_init_weights == 1 && e.dis_init_weights == 1;
  if (both_dcgan_init) j["INIT_NET_WEIGHTS"] = 1;

  for (const bool gen : {true, false}) {
    json net = json::object();
    const json& inits = gen ? e.gen_initializers : e.dis_initializers;
    if (inits.is_object())
      for (const auto& item : inits.items()) net[item.key()] = item.value();
    const json& w = gen ? e.gen_init_weights : e.dis_init_weights;
    // Per network, {"name": "default"} is the DCGAN initialisation that a top-level 1 gives.
    if (!both_dcgan_init && w == 1)
      net["INIT_NET_WEIGHTS"] = {{"name", "default"}};
    else if (w.is_object())
      net["INIT_NET_WEIGHTS"] = w;
    if (e.conditional_labels > 0) net["CONDITIONAL_LABELS"] = e.conditional_labels;
    const NetDims dims = arch_dims(e, gen);
    net["n_in"] = dims.n_in.front();
    net["n_out"] = dims.n_out;
    if (e.arch == Arch::dcgan && !gen) net["n_out_features_layers"] = 1;
    const double slope = gen ? e.gen_hidden_slope : e.dis_hidden_slope;
    const NetLayers layers = arch_layers(e, gen);
    json list = json::array();
    for (const LayerSpec& spec : layers.layers) {
      json l = spec.required;
      for (const auto& item : spec.optional.items()) l[item.key()] = item.value();
      if (l["type"] == "custom_relu" && slope > 0) l["LRelu_v"] = slope;
      list.push_back(l);
    }
    net[layers.list] = list;
    j[gen ? "GENERATOR" : "DISCRIMINATOR"] = net;
  }
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
