#include "experiment/experiment_keys.h"

#include <algorithm>

#include "base/error.h"
#include "experiment/experiment_networks.h"

namespace aafgan::models {

using json = nlohmann::json;

namespace {

// The most epochs, images per batch, or seeds a key takes: far beyond any real run, and safe
// in int arithmetic (also the limit the apps' flags had).
constexpr double kMaxCount = 1 << 30;

using Help = std::function<std::string(const json&)>;

// A default as the flags' help showed it: 100, 0.001, 1 (not 1.0).
std::string shown(const json& v) {
  if (v.is_number_integer()) return fmt::format("{}", v.get<int64_t>());
  if (v.is_number()) return fmt::format("{}", v.get<double>());
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

// "{}" in `text` is the app's default.
Help help(std::string text) {
  return [text](const json& v) { return fmt::format(fmt::runtime(text), shown(v)); };
}

// A row of the table, with setters for its optional columns.
struct Row : ExperimentKey {
  Row(std::string n, KeyKind k) {
    name = std::move(n);
    kind = k;
  }
  Row& when_absent(json v, bool omitted_then = false) {
    absent = std::move(v);
    omit_when_absent = omitted_then;
    return *this;
  }
  Row& required() {
    required_in_object = true;
    return *this;
  }
  Row& cli(std::string flag_name, Help h) {
    flag.name = std::move(flag_name);
    flag.help = std::move(h);
    return *this;
  }
  Row& cli(std::string flag_name, std::string fixed_help) {
    return cli(std::move(flag_name), [fixed_help](const json&) { return fixed_help; });
  }
  Row& spelled(std::vector<std::pair<std::string, json>> s) {
    flag.spellings = std::move(s);
    return *this;
  }
  Row& comma_list() {
    flag.comma_list = true;
    return *this;
  }
};

Row integer(std::string name, int Experiment::*m, Bounds b) {
  Row k(std::move(name), KeyKind::integer);
  k.bounds = b;
  k.read = [m, b](const ConfigReader& r, const std::string& f, const json* v, Experiment& e) {
    if (v) e.*m = r.integer(*v, f, b);
  };
  k.write = [m](const Experiment& e) { return json(e.*m); };
  return k;
}

Row number(std::string name, double Experiment::*m, Bounds b) {
  Row k(std::move(name), KeyKind::number);
  k.bounds = b;
  k.read = [m, b](const ConfigReader& r, const std::string& f, const json* v, Experiment& e) {
    if (v) e.*m = r.number(*v, f, b);
  };
  k.write = [m](const Experiment& e) { return json(e.*m); };
  return k;
}

Row flag(std::string name, bool Experiment::*m) {
  Row k(std::move(name), KeyKind::flag);
  k.read = [m](const ConfigReader& r, const std::string& f, const json* v, Experiment& e) {
    if (v) e.*m = r.flag(*v, f);
  };
  k.write = [m](const Experiment& e) { return json(e.*m ? 1 : 0); };
  return k;
}

Row names(std::string name, std::vector<std::string> Experiment::*m, bool output) {
  Row k(std::move(name), KeyKind::names);
  k.read = [m, output](const ConfigReader& r, const std::string& f, const json* v, Experiment& e) {
    if (v) e.*m = r.model_list(*v, f, output);
  };
  k.write = [m](const Experiment& e) { return json(e.*m); };
  return k;
}

Row network(std::string name, bool gen) {
  Row k(std::move(name), KeyKind::section);
  k.read = [gen](const ConfigReader& r, const std::string& f, const json* v, Experiment& e) {
    read_network(r, f, gen, v, e);
  };
  k.write = [gen](const Experiment& e) { return write_network(e, gen); };
  return k;
}

// Checked by its type all the same: an ignored key holding anything would be copied into every
// run's config.json (Experiment::raw).
Row ignored(std::string name, KeyKind as) {
  Row k(std::move(name), KeyKind::ignored);
  k.read = [as](const ConfigReader& r, const std::string& f, const json* v, Experiment&) {
    if (!v) return;
    if (as == KeyKind::flag) r.flag(*v, f);
    if (as == KeyKind::integer) r.integer(*v, f, {0, kMaxCount});
  };
  k.write = [](const Experiment&) { return json(); };
  return k;
}

// VERSION names the reference's config format, of which there is one.
Row version() {
  Row k("VERSION", KeyKind::text);
  k.choices = {"1"};
  k.read = [choices = k.choices](const ConfigReader& r, const std::string& f, const json* v, Experiment&) {
    if (v) r.choice(*v, f, choices, /*numbers=*/true);
  };
  k.write = [](const Experiment&) { return json("1"); };
  return k;
}

// The app's data is fixed by the app (and --data / --dataset): DATASET may only restate it, as
// "CIFAR" in the MNIST GAN's config would otherwise train MNIST under that name.
Row dataset() {
  Row k("DATASET", KeyKind::text);
  k.read = [](const ConfigReader& r, const std::string& f, const json* v, Experiment& e) {
    if (v) e.dataset = r.choice(*v, f, {e.dataset});
  };
  k.write = [](const Experiment& e) { return json(e.dataset); };
  return k;
}

// A path: no NUL, which the OS would cut it at (creating the part before it).
Row path(std::string name, std::string Experiment::*m) {
  Row k(std::move(name), KeyKind::text);
  k.read = [m](const ConfigReader& r, const std::string& f, const json* v, Experiment& e) {
    if (v) e.*m = r.path(*v, f);
  };
  k.write = [m](const Experiment& e) { return json(e.*m); };
  return k;
}

Row seed_list() {
  Row k("SEEDS", KeyKind::seeds);
  k.read = [](const ConfigReader& r, const std::string& f, const json* v, Experiment& e) {
    if (v) {
      if (!v->is_array() || v->empty()) r.error(f, fmt::format("expected a non-empty list, found {}", show(*v)));
      e.seeds.clear();
      for (size_t i = 0; i < v->size(); ++i) {
        const json& s = (*v)[i];
        if (!s.is_number_integer() || (!s.is_number_unsigned() && s.get<int64_t>() < 0))
          r.error(fmt::format("{}[{}]", f, i), fmt::format("expected a non-negative integer, found {}", show(s)));
        e.seeds.push_back(s.get<uint64_t>());
      }
    }
    if (e.seeds.empty()) r.error(f, "no seeds given");
  };
  k.write = [](const Experiment& e) { return json(e.seeds); };
  return k;
}

// Absent: every seed of the list. The upper limit is the list's length.
Row seed_count() {
  Row k = integer("N_SEEDS", &Experiment::n_seeds, {1, kMaxCount});
  k.read = [b = k.bounds](const ConfigReader& r, const std::string& f, const json* v, Experiment& e) {
    const double listed = static_cast<double>(e.seeds.size());
    e.n_seeds = v ? r.integer(*v, f, {b.lo, std::min(b.hi, listed)}) : static_cast<int>(listed);
  };
  return k;
}

Row dtype() {
  Row k("DOUBLE_TENSORS", KeyKind::flag);
  k.read = [](const ConfigReader& r, const std::string& f, const json* v, Experiment& e) {
    if (v) e.dtype = r.flag(*v, f) ? DType::f64 : DType::f32;
  };
  k.write = [](const Experiment& e) { return json(e.dtype == DType::f64 ? 1 : 0); };
  return k;
}

// OPTIMIZER may only restate Adam, the one optimiser of gan-protocol §3.
Row optimizer() {
  Row k("OPTIMIZER", KeyKind::text);
  k.choices = {"adam"};
  k.read = [](const ConfigReader& r, const std::string& f, const json* v, Experiment&) {
    if (!v) return;
    const std::string opt = r.string(*v, f);
    if (opt != "adam") r.error(f, fmt::format("{} is not supported; the GANs train with \"adam\"", preview(opt)));
  };
  k.write = [](const Experiment&) { return json("adam"); };
  return k;
}

// The app's network fixes these; a file may only restate them. The limits only bound what a
// message will print: any other value than the app's fails anyway.
Row img_size() {
  Row k = integer("IMG_SIZE", &Experiment::img_size, {1, 4096});
  k.read = [b = k.bounds](const ConfigReader& r, const std::string& f, const json* v, Experiment& e) {
    if (v && r.integer(*v, f, b) != e.img_size)
      r.error(f, fmt::format("{}, but {} takes {}×{} images", show(*v), arch_desc(e.arch), e.img_size, e.img_size));
  };
  return k;
}

// 1 to 4: grey, grey + alpha, RGB, RGBA. The DCGAN follows the file; the MLP takes 1.
Row channels() {
  Row k = integer("CHANNELS", &Experiment::channels, {1, 4});
  k.read = [b = k.bounds](const ConfigReader& r, const std::string& f, const json* v, Experiment& e) {
    if (!v) return;
    const int c = r.integer(*v, f, b);
    if (e.arch == Arch::mlp_condgan && c != e.channels)
      r.error(f, fmt::format("{}, but {} takes {} channel(s)", c, arch_desc(e.arch), e.channels));
    e.channels = c;
  };
  return k;
}

// Absent CONDITIONAL_LABELS made the reference train an unconditional GAN.
Row conditional_labels() {
  Row k = integer("CONDITIONAL_LABELS", &Experiment::conditional_labels, {1, 10000});
  k.read = [b = k.bounds](const ConfigReader& r, const std::string& f, const json* v, Experiment& e) {
    const int n = v ? r.integer(*v, f, b) : 0;
    if (n == e.conditional_labels) return;
    if (e.conditional_labels == 0) r.error(f, fmt::format("{} is unconditional", arch_desc(e.arch)));
    r.error(f, fmt::format("{}, but {} is conditioned on {} classes", v ? show(*v) : "absent", arch_desc(e.arch),
                           e.conditional_labels));
  };
  k.write = [](const Experiment& e) { return e.conditional_labels > 0 ? json(e.conditional_labels) : json(); };
  return k;
}

// The reference compared the top-level value with 1 only, and applied it after each network's
// own INIT_NET_WEIGHTS, so it wins; per-network objects sit in GENERATOR/DISCRIMINATOR.
Row init_net_weights() {
  Row k("INIT_NET_WEIGHTS", KeyKind::flag);
  k.read = [](const ConfigReader& r, const std::string& f, const json* v, Experiment& e) {
    if (v && r.flag(*v, f)) e.gen_init_weights = e.dis_init_weights = 1;
  };
  k.write = [](const Experiment& e) {
    return e.gen_init_weights == 1 && e.dis_init_weights == 1 ? json(1) : json();
  };
  return k;
}

std::vector<ExperimentKey> make_table() {
  const std::string outputs = join(output_model_names(), ","), hiddens = join(hidden_model_names(), ",");
  const Bounds unit_open_hi{0, 1, false, true};  // Adam's betas: [0, 1)
  // In the order the loader has always read them, so a file with several mistakes reports the
  // same one first (an IMG_SIZE of the other app before anything in its grid).
  return {
      // Training (gan-protocol §3, §4).
      dtype()
          .cli("--dtype",
               [](const json& v) { return fmt::format("float32 or float64 (default {})", v == 1 ? "float64" : "float32"); })
          .spelled({{"float32", 0}, {"float64", 1}}),
      integer("BATCH_SIZE", &Experiment::batch_size, {1, kMaxCount}).cli("--batch-size", help("batch size (default {})")),
      integer("EPOCHS", &Experiment::epochs, {1, kMaxCount}).cli("--epochs", help("epochs per run (default {})")),
      optimizer(),
      // Above 10 Adam only diverges.
      number("LEARNING_RATE", &Experiment::lr, {0, 10, true, false}).cli("--lr", help("Adam learning rate (default {})")),
      // Absent OPTIMIZER_OPTIONAL_PARAMS: PyTorch's Adam defaults, which the reference then used.
      number("OPTIMIZER_OPTIONAL_PARAMS.beta1", &Experiment::beta1, unit_open_hi)
          .when_absent(0.9)
          .cli("--beta1", help("Adam beta1 (default {})")),
      number("OPTIMIZER_OPTIONAL_PARAMS.beta2", &Experiment::beta2, unit_open_hi).when_absent(0.999),
      // An eps of 1 already swamps every gradient.
      number("OPTIMIZER_OPTIONAL_PARAMS.eps", &Experiment::eps, {0, 1, true, false}).when_absent(1e-8),
      // Absent LEARNING_RATE_DECAY: no decay. A factor above 1 would grow the rate every epoch.
      number("LEARNING_RATE_DECAY.DECAY_RATE", &Experiment::lr_decay_rate, {0, 1, true, false})
          .when_absent(1.0, true)
          .required()
          .cli("--lr-decay", help("learning-rate factor after each epoch (default {})")),
      // −1 = decay after every epoch.
      integer("LEARNING_RATE_DECAY.LAST_EPOCH_DECAY", &Experiment::lr_decay_until, {-1, kMaxCount})
          .when_absent(-1)
          .cli("--lr-decay-until",
               [](const json& v) {
                 return v.get<int>() < 0 ? std::string("decay after epochs 0 … N−1 only (default: every epoch)")
                                         : fmt::format("decay after epochs 0 … N−1 only (default {})", v.get<int>());
               }),
      // −1 (or 0) = never.
      integer("FREEZE_CUSTOM_PARAMETERS_EPOCH", &Experiment::freeze_epoch, {-1, kMaxCount})
          .when_absent(-1, true)
          .cli("--freeze-epoch", "freeze activation parameters from the end of epoch E (1-based)"),

      path("EXPERIMENT_DIR", &Experiment::experiment_dir),

      // What a run writes. One sample grid beyond 1024 images is unreadable.
      integer("SAMPLES_IN_VISUALIZATION", &Experiment::samples_in_visualization, {1, 1024}),
      // 0 = no progress lines, only the per-epoch summary.
      integer("VERBOSE_BATCH_STEP", &Experiment::verbose_batch_step, {0, kMaxCount})
          .cli("--log-every", help("batches between progress lines (default {})")),
      // A metric holds all its samples at once: 100,000 CelebA images are 4.9 GB in float32,
      // 10× the reference's largest.
      integer("GENERATE_N_IN_CSV", &Experiment::generate_n, {1, 100000}).when_absent(1000),
      flag("FID_ENABLED", &Experiment::fid_enabled).when_absent(0),
      flag("ENABLE_PARZEN_LL_METRIC", &Experiment::parzen_enabled).when_absent(0, true),

      // The network, fixed by the app (gan-protocol §1, §2); read before the layer lists, which
      // are checked against it.
      img_size(),
      channels(),
      conditional_labels(),
      // After the network's keys, which name the other app's config more plainly.
      dataset(),
      // The DCGAN's first deconvolution holds NOISE_SIZE × 16,384 weights: 4096 is 67 M already.
      integer("NOISE_SIZE", &Experiment::noise_size, {1, 4096}),
      // The grid of gan-protocol §5.
      seed_list(),
      seed_count().cli("--seeds", help("number of seeds per model combination (default {})")),
      names("GEN_MODELS", &Experiment::gen_models, true)
          .cli("--gen", "generator output activation(s): " + outputs)
          .comma_list(),
      names("DIS_MODELS", &Experiment::dis_models, true)
          .cli("--dis", "discriminator output activation(s): " + outputs)
          .comma_list(),
      names("GEN_HIDDEN_MODELS", &Experiment::gen_hidden_models, false)
          .cli("--gen-hidden", "generator hidden activation(s): " + hiddens)
          .comma_list(),
      names("DIS_HIDDEN_MODELS", &Experiment::dis_hidden_models, false)
          .cli("--dis-hidden", "discriminator hidden activation(s): " + hiddens)
          .comma_list(),
      // The reference tested these flags' presence, so a false one is left out rather than 0.
      flag("SKIP_DEFAULT", &Experiment::skip_default).when_absent(0, true),
      flag("SKIP_DIFF_HIDDEN", &Experiment::skip_diff_hidden).when_absent(0, true),
      flag("SKIP_DIFF_OUTPUT", &Experiment::skip_diff_output).when_absent(0, true),

      network("GENERATOR", true),
      network("DISCRIMINATOR", false),
      init_net_weights(),

      // Reference keys with no effect here: data-loader, logging and sample-file details.
      version(),
      ignored("PIN_MEMORY", KeyKind::flag),
      ignored("VERBOSE_EPOCH_STEP", KeyKind::integer),
      ignored("LIMIT_SAMPLES_CSV_GENERATION", KeyKind::integer),
      ignored("IGNORE_CONDITIONAL_ACCURACY_CALCULATION", KeyKind::flag),
      ignored("IGNORE_SAMPLE_GENERATION", KeyKind::flag),
  };
}

}  // namespace

std::string ExperimentKey::top() const { return name.substr(0, name.find('.')); }

std::string ExperimentKey::object() const {
  const size_t dot = name.find('.');
  return dot == std::string::npos ? "" : name.substr(0, dot);
}

std::string ExperimentKey::leaf() const {
  const size_t dot = name.find('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

const std::vector<ExperimentKey>& experiment_keys() {
  static const std::vector<ExperimentKey> table = make_table();
  return table;
}

const ExperimentKey& experiment_key(const std::string& name) {
  const auto& keys = experiment_keys();
  const auto it = std::find_if(keys.begin(), keys.end(), [&](const ExperimentKey& k) { return k.name == name; });
  if (it == keys.end()) fail("no experiment key {}", name);
  return *it;
}

void apply_overrides(const ExperimentOverrides& o, Experiment& e) {
  for (const auto& item : o.values) experiment_key(item.first);
  const ConfigReader flags("");
  for (const ExperimentKey& k : experiment_keys()) {
    const auto it = o.values.find(k.name);
    if (it != o.values.end()) k.read(flags, k.flag.name.empty() ? k.name : k.flag.name, &it->second, e);
  }
}

}  // namespace aafgan::models
