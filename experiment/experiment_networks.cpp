#include "experiment/experiment_networks.h"

#include <algorithm>
#include <climits>

#include "base/error.h"
#include "engine/nn/adaptive.h"
#include "engine/random.h"

namespace aafgan::models {

using json = nlohmann::json;

const char* arch_desc(Arch a) {
  return a == Arch::mlp_condgan ? "the conditional MLP of gan-protocol §1" : "the DCGAN of gan-protocol §2";
}

namespace {

// The fixed networks as layer lists in the reference format: checked against a config's lists
// and written back by write_network.

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

// The functions with parameters, which a config may give an initialiser: the table's rows.
const std::vector<std::string>& activation_spellings() {
  static const std::vector<std::string> v = [] {
    std::vector<std::string> names;
    for (Act a : kernels::kAllActs)
      if (kernels::act_param_count(a) > 0) names.push_back(kernels::act_name(a));
    return names;
  }();
  return v;
}

std::vector<std::string> initializer_keys() {
  std::vector<std::string> v;
  for (const auto& n : activation_spellings()) v.push_back(upper(n) + "_INITIALIZER");
  return v;
}

// Reads one experiment object, every error naming the file, the key and the field.

void read_initializer(const ConfigReader& r, const std::string& field, const std::string& act_key, const json& spec, bool gen,
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

json read_init_weights(const ConfigReader& r, const std::string& field, const json& v) {
  if (!v.is_object() || !v.contains("name") || !v["name"].is_string())
    r.error(field, fmt::format("expected {{\"name\": \"default\" | \"glorot\" | \"he_normal\"}}, found {}", show(v)));
  const std::string name = v["name"].get<std::string>();
  if (name != "default" && name != "glorot" && name != "he_normal")
    r.error(field, fmt::format("unknown initialisation {}; valid names: default, glorot, he_normal", preview(name)));
  for (const auto& item : v.items())
    if (item.key() != "name" && !is_comment(item.key())) r.error(field, fmt::format("unknown key {}", preview(item.key())));
  return v;
}

double check_layers(const ConfigReader& r, const std::string& field, const json& list, const std::vector<LayerSpec>& want,
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
      r.error(f, fmt::format("type {}, but {} has {} here", preview(type), arch_desc(arch), show(spec.required)));
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
        r.number(v, f + ".LRelu_v", Bounds{0.0, 1.0, false, true});
        continue;
      }
      if (!expect) r.error(f, fmt::format("unknown key {}", preview(k)));
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

}  // namespace

void read_network(const ConfigReader& r, const std::string& section, bool gen, const json* net, Experiment& e) {
  json& inits = gen ? e.gen_initializers : e.dis_initializers;
  json& weights = gen ? e.gen_init_weights : e.dis_init_weights;
  double& slope = gen ? e.gen_hidden_slope : e.dis_hidden_slope;
  inits = json::object();
  weights = nullptr;

  if (net) {
    if (!net->is_object()) r.error(section, fmt::format("expected an object, found {}", show(*net)));
    const NetDims dims = arch_dims(e, gen);
    const NetLayers layers = arch_layers(e, gen);
    const char* other_list = layers.list == std::string("layers") ? "features_layers" : "layers";
    for (const auto& item : net->items()) {
      const std::string& k = item.key();
      const json& v = item.value();
      const std::string f = section + "." + k;
      if (is_comment(k)) continue;
      if (k.size() > 12 && k.compare(k.size() - 12, 12, "_INITIALIZER") == 0) {
        read_initializer(r, f, k, v, gen, inits);
      } else if (k == "INIT_NET_WEIGHTS") {
        weights = read_init_weights(r, f, v);
      } else if (k == "CONDITIONAL_LABELS") {
        if (r.integer(v, f, Bounds{0, INT_MAX}) != e.conditional_labels)
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
        e.warnings.push_back(fmt::format("{}: unknown key {}.{} ignored, value {}", r.where(), section, preview(k), show(v)));
        leave_out_of_record(e.raw, section, k);
      }
    }
  }
  // BHATA was built from the BHAA spec in the reference.
  if (!inits.contains("BHATA_INITIALIZER") && inits.contains("BHAA_INITIALIZER"))
    inits["BHATA_INITIALIZER"] = inits["BHAA_INITIALIZER"];
}

json write_network(const Experiment& e, bool gen) {
  json net = json::object();
  const json& inits = gen ? e.gen_initializers : e.dis_initializers;
  if (inits.is_object())
    for (const auto& item : inits.items()) net[item.key()] = item.value();
  const json& w = gen ? e.gen_init_weights : e.dis_init_weights;
  // Per network, {"name": "default"} is the DCGAN initialisation that a top-level 1 gives; the
  // top-level key is written (INIT_NET_WEIGHTS in experiment_keys.cpp) when both networks have it.
  const bool both_dcgan_init = e.gen_init_weights == 1 && e.dis_init_weights == 1;
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
  return net;
}

}  // namespace aafgan::models
