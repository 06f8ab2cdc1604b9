#pragma once
// The experiment configuration both GAN apps share: the reference JSON format
// (../shared/reference/*.json), the CLI defaults of gan-protocol.md §1/§2, and the grid of
// models × seeds of §5 with the reference code's output layout.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/dtype.h"
#include "engine/ops/adaptive.h"

namespace aafgan::models {

// Valid names, "default" first, then the activation table's rows of that use
// (kernels/math/act_table.h).
const std::vector<std::string>& output_model_names();  // default BHSA BHAA BHATA BHANA DSILU
const std::vector<std::string>& hidden_model_names();  // default SHReLU Mish MiDA

// The activation `name` names where it is used as `use`; nullopt for "default". The one check of
// a model name against the table: an Error naming `what` and listing the valid names otherwise.
std::optional<Act> model_act(const std::string& name, kernels::ActUse use, const std::string& what);

// Throw an Error naming `what` (e.g. "--gen" or "GEN_MODELS[1]") and listing the valid names.
void check_output_model(const std::string& name, const std::string& what);
void check_hidden_model(const std::string& name, const std::string& what);

// One combination of activations: G output, D output, G hidden, D hidden.
struct ModelChoice {
  std::string gen = "default", dis = "default", gen_hidden = "default", dis_hidden = "default";

  void validate() const;
  bool all_default() const;
  bool operator==(const ModelChoice& o) const;
  bool operator!=(const ModelChoice& o) const { return !(*this == o); }
};

// The reference layout `output[_D<dis_hidden>][_G<gen_hidden>][_Dis_<dis>][_Gen_<gen>]`, a part
// present only when not "default"; existing analysis scripts and the report parse these names
// (base/model_folder_name.h).
std::string run_dir_name(const ModelChoice& m);

// The fixed network of each app; the layer lists of a config are checked against it.
enum class Arch {
  mlp_condgan,  // gan-protocol §1
  dcgan,        // gan-protocol §2
};

// Epochs are 0-based everywhere below, as in the reference code.
struct Experiment {
  Arch arch = Arch::mlp_condgan;
  std::string key;
  std::string dataset;
  DType dtype = DType::f32;  // DOUBLE_TENSORS
  int batch_size = 100;
  int epochs = 100;
  double lr = 0.001;
  double beta1 = 0.5, beta2 = 0.999, eps = 1e-8;
  // After epoch e the learning rate is multiplied by lr_decay_rate when lr_decay_until < 0 or
  // e < lr_decay_until (the reference's LAST_EPOCH_DECAY). 1.0 = no decay. The trainer's
  // schedule (training/trainer_schedule.h, from train_options) gives an epoch's learning rate.
  double lr_decay_rate = 1.0;
  int lr_decay_until = -1;
  // The activation parameters stop learning at the end of epoch E counted from 1 (the one
  // exception to 0-based epochs, as the trainer and --freeze-epoch count it); −1 or 0 = never.
  // JSON: FREEZE_CUSTOM_PARAMETERS_EPOCH.
  int freeze_epoch = -1;
  std::string experiment_dir;
  int samples_in_visualization = 30;
  int verbose_batch_step = 300;
  int img_size = 28;
  int channels = 1;
  int noise_size = 100;
  std::vector<uint64_t> seeds;
  int n_seeds = 1;  // the grid uses seeds[0 .. n_seeds)
  std::vector<std::string> gen_models{"default"}, dis_models{"default"};
  std::vector<std::string> gen_hidden_models{"default"}, dis_hidden_models{"default"};
  bool skip_default = false, skip_diff_hidden = false, skip_diff_output = false;
  bool fid_enabled = false;
  bool parzen_enabled = false;  // ENABLE_PARZEN_LL_METRIC
  int generate_n = 1000;        // GENERATE_N_IN_CSV: samples generated per epoch for metrics
  int conditional_labels = 10;  // 0 = unconditional
  // Negative slope of the "default" hidden activation of each network: 0.2 = LeakyReLU(0.2),
  // 0 = ReLU. Taken from the layer lists' LRelu_v (a custom_relu without it is a ReLU).
  double gen_hidden_slope = 0.2, dis_hidden_slope = 0.2;
  // Per network, `<NAME>_INITIALIZER` → spec, as in the config's GENERATOR/DISCRIMINATOR, each
  // spec already checked by nn::AdaptiveActivation's rules. BHATA_INITIALIZER is filled from
  // BHAA_INITIALIZER when absent, because the reference built BHATA from the BHAA spec; so
  // looking up `toupper(name) + "_INITIALIZER"` (initializer_for) is always right.
  nlohmann::json gen_initializers = nlohmann::json::object();
  nlohmann::json dis_initializers = nlohmann::json::object();
  // Conv/BN weight initialisation per network: null = the framework's default (fan-in uniform),
  // 1 = DCGAN (conv N(0, 0.02), BN weight N(1, 0.02), BN bias 0), or
  // {"name": "default" | "glorot" | "he_normal"} (BN as DCGAN; conv N(0, 0.02), Xavier normal or
  // He normal).
  nlohmann::json gen_init_weights, dis_init_weights;
  // The chosen key's object as in the file (null for CLI-only runs): config.json. Less what the
  // loader ignored (unknown keys, comments over 256 bytes), named under kLeftOutKey instead:
  // an ignored value may be megabytes (a 12 KB file nesting 5,000 lists wrote 50 MB), copied
  // into every run of the grid.
  nlohmann::json raw;
  // Keys the loader did not recognise and ignored, for the app to print.
  std::vector<std::string> warnings;
};

// The CLI defaults: gan-protocol §1 (key condgan_mlp_lr001_decay95e31) and §2 (key
// celeba_dcgan). Seeds are the reference lists with n_seeds = 1 (one run unless asked).
Experiment mnist_defaults();
Experiment celeba_defaults();

// Reads experiment `key` of the reference-format file `path`, key by key as the table of
// experiment/experiment_keys.cpp says (valid ranges, what an absent key means). `defaults` says
// which app is asking (arch, img_size, conditional_labels are its fixed architecture) and
// supplies the values of keys the reference code required but the file omits. A key the
// reference treated as optional keeps the meaning its absence had there: no
// LEARNING_RATE_DECAY = no decay, no OPTIMIZER_OPTIONAL_PARAMS = Adam's betas (0.9, 0.999), no
// SKIP_* = no skipping, no INIT_NET_WEIGHTS = framework initialisation, no N_SEEDS = every seed,
// no FID_ENABLED = off, no GENERATE_N_IN_CSV = 1000. Keys starting with '_' are comments (the
// reference disables a key by prefixing it, e.g. "_SKIP_DEFAULT"). SKIP_* and similar flags
// follow their value (0 = off), where the reference tested only their presence.
// Every failure is an Error naming the file, the experiment key and the field.
Experiment load_experiment(const std::string& path, const std::string& key, Experiment defaults);

// The comment key of Experiment::raw listing what it left out.
inline constexpr const char* kLeftOutKey = "_ignored_keys";
// Takes `key` of `section` ("" = the experiment itself) out of a raw record and notes it there.
void leave_out_of_record(nlohmann::json& record, const std::string& section, const std::string& key);
// Notes `name` (already quoted and short) as left out; the first 20 are named.
void note_left_out(nlohmann::json& record, const std::string& name);

// The resolved settings in the reference format (layer lists included), for config.json of a
// run that was not loaded from a file; load_experiment reads it back to the same values.
nlohmann::json to_json(const Experiment& e);

// The spec for activation `name` ("BHSA", "MiDA", …) in a gen_/dis_initializers object, or null
// (= the default initialiser).
nlohmann::json initializer_for(const nlohmann::json& initializers, const std::string& name);

struct RunSpec {
  ModelChoice models;
  int seed_index = 0;
  uint64_t seed = 0;
  std::string dir;  // experiment_dir / run_dir_name(models) / seed_index
};

// The runs of gan-protocol §5, in the reference code's order: DIS_MODELS, then GEN_MODELS,
// DIS_HIDDEN_MODELS, GEN_HIDDEN_MODELS (outermost to innermost loop), and within each
// combination its seeds in list order. Skipped: a combination changing both an output and a
// hidden activation; with skip_default the all-default one; with skip_diff_hidden two different
// non-default hidden functions; with skip_diff_output two different non-default outputs.
// Throws on invalid model names, duplicates or n_seeds outside [1, seeds.size()].
std::vector<RunSpec> expand_grid(const Experiment& e);

}  // namespace aafgan::models
