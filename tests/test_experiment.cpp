// The shared experiment configuration: the user's two reference configs load unchanged with
// the values they state, the grid of models × seeds follows the reference code's skip rules,
// order and output layout, and every mistake in a config names the file, key and field.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/error.h"
#include "experiment/experiment.h"
#include "training/trainer.h"
#include "training/trainer_schedule.h"
#include "base/model_folder_name.h"
#include "tests/test_helpers.h"

using namespace aafgan;
using namespace aafgan::models;
using json = nlohmann::json;
using aafgan::testing::contains;
using aafgan::testing::error_of;
namespace fs = std::filesystem;

namespace {

const std::string kMnist = std::string(AAFGAN_FIXTURES_DIR) + "/reference_mnist_condgan.json";
const std::string kCeleba = std::string(AAFGAN_FIXTURES_DIR) + "/reference_celeba_dcgan.json";
const char* kMainKey = "condgan_mlp_lr001_decay95e31";

// The learning rate the trainer uses in epoch e of a run of experiment x.
double lr_at_epoch(const Experiment& x, int epoch) { return TrainSchedule(train_options(x)).lr_at_epoch(epoch); }

json read_json(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in);
  return json::parse(in);
}

class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    path_ = fs::temp_directory_path() / ("aafgan_test_experiment_" + tag + "_" + std::to_string(::getpid()));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string write(const std::string& name, const std::string& text) const {
    const fs::path p = path_ / name;
    std::ofstream(p) << text;
    return p.string();
  }

 private:
  fs::path path_;
};

// The main MNIST key, changed by `edit`, written to a file and loaded: the load's error message.
std::string mnist_error(const TempDir& dir, const std::function<void(json&)>& edit) {
  json doc = read_json(kMnist);
  edit(doc[kMainKey]);
  const std::string path = dir.write("edited.json", doc.dump(2));
  const std::string msg = error_of([&] { load_experiment(path, kMainKey, mnist_defaults()); });
  CHECK(msg.find(path) != std::string::npos);
  CHECK(msg.find(kMainKey) != std::string::npos);
  return msg;
}

std::vector<std::string> strings(std::initializer_list<const char*> l) { return {l.begin(), l.end()}; }

void check_same(const Experiment& a, const Experiment& b) {
  CHECK(a.arch == b.arch);
  CHECK(a.key == b.key);
  CHECK(a.dataset == b.dataset);
  CHECK(a.dtype == b.dtype);
  CHECK(a.batch_size == b.batch_size);
  CHECK(a.epochs == b.epochs);
  CHECK(a.lr == b.lr);
  CHECK(a.beta1 == b.beta1);
  CHECK(a.beta2 == b.beta2);
  CHECK(a.eps == b.eps);
  CHECK(a.lr_decay_rate == b.lr_decay_rate);
  CHECK(a.lr_decay_until == b.lr_decay_until);
  CHECK(a.freeze_epoch == b.freeze_epoch);
  CHECK(a.experiment_dir == b.experiment_dir);
  CHECK(a.samples_in_visualization == b.samples_in_visualization);
  CHECK(a.verbose_batch_step == b.verbose_batch_step);
  CHECK(a.img_size == b.img_size);
  CHECK(a.channels == b.channels);
  CHECK(a.noise_size == b.noise_size);
  CHECK(a.seeds == b.seeds);
  CHECK(a.n_seeds == b.n_seeds);
  CHECK(a.gen_models == b.gen_models);
  CHECK(a.dis_models == b.dis_models);
  CHECK(a.gen_hidden_models == b.gen_hidden_models);
  CHECK(a.dis_hidden_models == b.dis_hidden_models);
  CHECK(a.skip_default == b.skip_default);
  CHECK(a.skip_diff_hidden == b.skip_diff_hidden);
  CHECK(a.skip_diff_output == b.skip_diff_output);
  CHECK(a.fid_enabled == b.fid_enabled);
  CHECK(a.parzen_enabled == b.parzen_enabled);
  CHECK(a.generate_n == b.generate_n);
  CHECK(a.conditional_labels == b.conditional_labels);
  CHECK(a.gen_hidden_slope == b.gen_hidden_slope);
  CHECK(a.dis_hidden_slope == b.dis_hidden_slope);
  CHECK(a.gen_initializers == b.gen_initializers);
  CHECK(a.dis_initializers == b.dis_initializers);
  CHECK(a.gen_init_weights == b.gen_init_weights);
  CHECK(a.dis_init_weights == b.dis_init_weights);
}

const std::vector<uint64_t> kMnistSeeds{1370519191, 185741603,  1082887045, 1697297262, 1561104173,
                                        4215049825, 3241955232, 3744541448, 1184274750, 1340025035};
const std::vector<uint64_t> kCelebaSeeds{197525068, 223606909, 242366910, 386126213, 464832201,
                                         707544568, 726944591, 757524216, 901507825, 979533043};

}  // namespace

TEST_CASE("experiment: run_dir_name follows the reference layout") {
  CHECK(run_dir_name({}) == "output");
  CHECK(run_dir_name({"BHSA", "default", "default", "default"}) == "output_Gen_BHSA");
  // The reference README's example of one model's folder.
  CHECK(run_dir_name({"default", "BHSA", "default", "default"}) == "output_Dis_BHSA");
  CHECK(run_dir_name({"default", "default", "MiDA", "default"}) == "output_GMiDA");
  CHECK(run_dir_name({"default", "default", "default", "Mish"}) == "output_DMish");
  CHECK(run_dir_name({"BHSA", "BHANA", "SHReLU", "MiDA"}) == "output_DMiDA_GSHReLU_Dis_BHANA_Gen_BHSA");
  // The report reads back what the apps write.
  const auto parts = parse_model_folder(run_dir_name({"BHSA", "BHANA", "SHReLU", "MiDA"}));
  REQUIRE(parts);
  CHECK(*parts == ModelFolderParts{"MiDA", "SHReLU", "BHANA", "BHSA"});
}

TEST_CASE("experiment: model names are validated with the valid names listed") {
  ModelChoice ok{"DSILU", "BHATA", "Mish", "SHReLU"};
  CHECK_NOTHROW(ok.validate());
  CHECK_FALSE(ok.all_default());
  CHECK(ModelChoice{}.all_default());

  ModelChoice bad_out;
  bad_out.dis = "sigmoid";
  const std::string m1 = error_of([&] { bad_out.validate(); });
  CHECK(contains(m1, "discriminator output"));
  CHECK(contains(m1, "\"sigmoid\""));
  CHECK(contains(m1, "default, BHSA, BHAA, BHATA, BHANA, DSILU"));

  ModelChoice bad_hidden;
  bad_hidden.gen_hidden = "mish";  // names are case-sensitive, as in the reference
  const std::string m2 = error_of([&] { bad_hidden.validate(); });
  CHECK(contains(m2, "generator hidden"));
  CHECK(contains(m2, "default, SHReLU, Mish, MiDA"));

  // An output name is not a hidden one and vice versa.
  CHECK_THROWS_AS(check_hidden_model("BHSA", "--gen-hidden"), Error);
  CHECK_THROWS_AS(check_output_model("MiDA", "--gen"), Error);
}

TEST_CASE("experiment: defaults are gan-protocol sections 1 and 2") {
  const Experiment m = mnist_defaults();
  CHECK(m.arch == Arch::mlp_condgan);
  CHECK(m.key == "condgan_mlp_lr001_decay95e31");
  CHECK(m.dtype == DType::f32);
  CHECK(m.batch_size == 100);
  CHECK(m.epochs == 100);
  CHECK(m.lr == 0.001);
  CHECK(m.beta1 == 0.5);
  CHECK(m.beta2 == 0.999);
  CHECK(m.eps == 1e-8);
  CHECK(m.lr_decay_rate == 0.95);
  CHECK(m.lr_decay_until == 31);
  CHECK(m.freeze_epoch == -1);
  CHECK(m.samples_in_visualization == 30);
  CHECK(m.verbose_batch_step == 300);
  CHECK(m.img_size == 28);
  CHECK(m.channels == 1);
  CHECK(m.noise_size == 100);
  CHECK(m.conditional_labels == 10);
  CHECK(m.generate_n == 1000);
  CHECK(m.seeds == kMnistSeeds);
  CHECK(m.n_seeds == 1);
  CHECK(m.gen_hidden_slope == 0.2);
  CHECK(m.dis_hidden_slope == 0.2);
  CHECK(m.gen_init_weights.is_null());
  CHECK(m.raw.is_null());
  // Decays after epochs 0..30, then stays.
  CHECK(lr_at_epoch(m, 0) == doctest::Approx(0.001));
  CHECK(lr_at_epoch(m, 1) == doctest::Approx(0.00095));
  CHECK(lr_at_epoch(m, 31) == doctest::Approx(0.001 * std::pow(0.95, 31)));
  CHECK(lr_at_epoch(m, 99) == doctest::Approx(0.001 * std::pow(0.95, 31)));

  const Experiment c = celeba_defaults();
  CHECK(c.arch == Arch::dcgan);
  CHECK(c.key == "celeba_dcgan");
  CHECK(c.batch_size == 128);
  CHECK(c.epochs == 25);
  CHECK(c.lr == 0.0002);
  CHECK(c.beta1 == 0.5);
  CHECK(c.beta2 == 0.999);
  CHECK(c.lr_decay_rate == 1.0);
  CHECK(lr_at_epoch(c, 20) == doctest::Approx(0.0002));
  CHECK(c.samples_in_visualization == 25);
  CHECK(c.img_size == 64);
  CHECK(c.channels == 3);
  CHECK(c.conditional_labels == 0);
  CHECK(c.generate_n == 10000);
  CHECK(c.seeds == kCelebaSeeds);
  CHECK(c.gen_init_weights == 1);
  CHECK(c.dis_init_weights == 1);
  CHECK(c.gen_hidden_slope == 0.0);
  CHECK(c.dis_hidden_slope == 0.2);

  // One run of the all-default model unless asked for more.
  const auto runs = expand_grid(m);
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].dir == (fs::path(m.experiment_dir) / "output" / "0").string());
  CHECK(runs[0].seed == 1370519191);
}

TEST_CASE("experiment: every key of the MNIST reference config loads with its values") {
  const json doc = read_json(kMnist);
  for (const auto& item : doc.items()) {
    CAPTURE(item.key());
    const Experiment e = load_experiment(kMnist, item.key(), mnist_defaults());
    CHECK(e.key == item.key());
    CHECK(e.raw == item.value());
    CHECK(e.warnings.empty());
    CHECK(e.dataset == "MNIST");
    CHECK(e.batch_size == 100);
    CHECK(e.epochs == 100);
    CHECK(e.beta1 == 0.5);
    CHECK(e.beta2 == 0.999);
    CHECK(e.seeds == kMnistSeeds);
    CHECK(e.n_seeds == 10);
    CHECK(e.samples_in_visualization == 30);
    CHECK(e.verbose_batch_step == 300);
    CHECK(e.conditional_labels == 10);
    CHECK(e.skip_diff_hidden);
    CHECK(e.skip_diff_output);
    CHECK_FALSE(e.skip_default);
    CHECK_FALSE(e.fid_enabled);
    CHECK(e.freeze_epoch == -1);
    CHECK(e.generate_n == 1000);
    CHECK(e.gen_hidden_slope == 0.2);
    CHECK(e.dis_hidden_slope == 0.2);
    CHECK(e.gen_init_weights.is_null());
    CHECK(e.dis_init_weights.is_null());
    CHECK(e.gen_hidden_models == strings({"default", "SHReLU", "Mish", "MiDA"}));
    CHECK(e.dis_hidden_models == strings({"default", "SHReLU", "Mish", "MiDA"}));
    CHECK(e.gen_initializers["MIDA_INITIALIZER"] == json{{"name", "default"}});
    CHECK(e.dis_initializers["SHRELU_INITIALIZER"] == json{{"name", "default"}});
  }

  const Experiment a = load_experiment(kMnist, "condgan_mlp_lr001_decay95e31", mnist_defaults());
  CHECK(a.dtype == DType::f32);
  CHECK(a.lr == 0.001);
  CHECK(a.lr_decay_rate == 0.95);
  CHECK(a.lr_decay_until == 31);
  CHECK(a.experiment_dir == "experiment_mnist_condgan-mlp_lr001_decay95e31");
  CHECK(a.gen_models == strings({"default", "BHSA"}));
  CHECK(a.dis_models == strings({"default", "BHSA"}));
  CHECK(a.gen_initializers.size() == 3);  // MIDA, BHSA, SHRELU; no BHAA, so no BHATA either

  // No LEARNING_RATE_DECAY in the file: no decay, whatever the app's default.
  const Experiment b = load_experiment(kMnist, "condgan_mlp_lr001", mnist_defaults());
  CHECK(b.lr == 0.001);
  CHECK(b.lr_decay_rate == 1.0);
  CHECK(lr_at_epoch(b, 50) == doctest::Approx(0.001));
  CHECK(b.experiment_dir == "experiment_mnist_condgan-mlp_lr001");

  const Experiment c = load_experiment(kMnist, "condgan_mlp", mnist_defaults());
  CHECK(c.dtype == DType::f64);
  CHECK(c.lr == 0.0002);
  CHECK(c.lr_decay_rate == 1.0);
  CHECK(c.gen_models == strings({"default", "BHSA", "BHATA", "BHANA"}));
  CHECK(c.dis_models == strings({"default", "BHSA", "BHATA", "BHANA"}));
  // BHATA takes the BHAA spec, as the reference built it.
  CHECK(c.gen_initializers.contains("BHAA_INITIALIZER"));
  CHECK(c.gen_initializers.contains("BHANA_INITIALIZER"));
  CHECK(initializer_for(c.gen_initializers, "BHATA") == json{{"name", "default"}});
  CHECK(initializer_for(c.dis_initializers, "MiDA") == json{{"name", "default"}});
  CHECK(initializer_for(c.dis_initializers, "Mish").is_null());
  CHECK(initializer_for(c.dis_initializers, "DSILU").is_null());
}

TEST_CASE("experiment: every key of the CelebA reference config loads with its values") {
  const json doc = read_json(kCeleba);
  for (const auto& item : doc.items()) {
    CAPTURE(item.key());
    const Experiment e = load_experiment(kCeleba, item.key(), celeba_defaults());
    CHECK(e.raw == item.value());
    CHECK(e.warnings.empty());
    CHECK(e.dataset == "CelebA");
    CHECK(e.dtype == DType::f32);
    CHECK(e.batch_size == 128);
    CHECK(e.epochs == 25);
    CHECK(e.lr == 0.0002);
    CHECK(e.beta1 == 0.5);
    CHECK(e.lr_decay_rate == 1.0);
    CHECK(e.samples_in_visualization == 25);
    CHECK(e.verbose_batch_step == 212);
    CHECK(e.img_size == 64);
    CHECK(e.channels == 3);
    CHECK(e.noise_size == 100);
    CHECK(e.seeds == kCelebaSeeds);
    CHECK(e.n_seeds == 5);
    CHECK(e.conditional_labels == 0);
    CHECK(e.fid_enabled);
    CHECK(e.generate_n == 10000);
    CHECK(e.skip_diff_hidden);
    CHECK(e.skip_diff_output);
    CHECK(e.gen_hidden_slope == 0.0);  // custom_relu without LRelu_v: ReLU
    CHECK(e.dis_hidden_slope == 0.2);
  }

  const Experiment d = load_experiment(kCeleba, "celeba_dcgan", celeba_defaults());
  CHECK(d.experiment_dir == "experiment_celeba-dcgan");
  CHECK_FALSE(d.skip_default);  // "_SKIP_DEFAULT" is commented out
  CHECK(d.gen_init_weights == 1);
  CHECK(d.dis_init_weights == 1);
  CHECK(d.gen_models == strings({"default", "BHSA"}));
  CHECK(d.dis_hidden_models == strings({"default", "MiDA", "Mish", "SHReLU"}));
  CHECK(d.gen_initializers.contains("BHSA_INITIALIZER"));

  const Experiment h = load_experiment(kCeleba, "celeba_dcgan_henormal", celeba_defaults());
  CHECK(h.experiment_dir == "experiment_celeba-dcgan_henormal");
  CHECK(h.skip_default);
  // He-normal in G only; D kept the framework's initialisation in the reference run.
  CHECK(h.gen_init_weights == json{{"name", "he_normal"}});
  CHECK(h.dis_init_weights.is_null());
  CHECK(h.gen_models == strings({"default"}));
  CHECK(h.dis_models == strings({"default"}));
  CHECK(h.dis_hidden_models == strings({"default"}));
  CHECK(h.gen_hidden_models == strings({"MiDA", "Mish"}));
  CHECK(h.dis_initializers == json{{"MIDA_INITIALIZER", {{"name", "default"}}}});
}

TEST_CASE("experiment: grid of condgan_mlp_lr001_decay95e31 follows the skip rules") {
  Experiment e = load_experiment(kMnist, kMainKey, mnist_defaults());

  SUBCASE("a small grid, worked out by hand") {
    Experiment s = e;
    s.gen_models = {"default", "BHSA"};
    s.dis_models = {"default"};
    s.gen_hidden_models = {"default", "MiDA"};
    s.dis_hidden_models = {"default", "Mish"};
    s.n_seeds = 2;
    // dis → gen → dis_hidden → gen_hidden: (Mish, MiDA) differ and are both non-default;
    // BHSA with any non-default hidden changes both an output and a hidden function.
    const std::vector<ModelChoice> want{{"default", "default", "default", "default"},
                                        {"default", "default", "MiDA", "default"},
                                        {"default", "default", "default", "Mish"},
                                        {"BHSA", "default", "default", "default"}};
    const auto runs = expand_grid(s);
    REQUIRE(runs.size() == want.size() * 2);
    for (size_t i = 0; i < runs.size(); ++i) {
      CAPTURE(i);
      CHECK(runs[i].models == want[i / 2]);
      CHECK(runs[i].seed_index == static_cast<int>(i % 2));
      CHECK(runs[i].seed == kMnistSeeds[i % 2]);
    }
    CHECK(runs[2].dir == (fs::path(e.experiment_dir) / "output_GMiDA" / "0").string());
    CHECK(runs[5].dir == (fs::path(e.experiment_dir) / "output_DMish" / "1").string());
    CHECK(runs[7].dir == (fs::path(e.experiment_dir) / "output_Gen_BHSA" / "1").string());

    // Without SKIP_DIFF_HIDDEN the mixed hidden pair runs too.
    s.skip_diff_hidden = false;
    CHECK(expand_grid(s).size() == 5 * 2);
  }

  SUBCASE("the full reference key: 13 models × 10 seeds, in the reference order") {
    const std::vector<std::string> want_dirs{"output",
                                             "output_GSHReLU",
                                             "output_GMish",
                                             "output_GMiDA",
                                             "output_DSHReLU",
                                             "output_DSHReLU_GSHReLU",
                                             "output_DMish",
                                             "output_DMish_GMish",
                                             "output_DMiDA",
                                             "output_DMiDA_GMiDA",
                                             "output_Gen_BHSA",
                                             "output_Dis_BHSA",
                                             "output_Dis_BHSA_Gen_BHSA"};
    const auto runs = expand_grid(e);
    REQUIRE(runs.size() == 130);
    for (size_t i = 0; i < runs.size(); ++i) {
      CAPTURE(i);
      const size_t model = i / 10, seed = i % 10;
      CHECK(run_dir_name(runs[i].models) == want_dirs[model]);
      CHECK(runs[i].seed_index == static_cast<int>(seed));
      CHECK(runs[i].seed == kMnistSeeds[seed]);
      CHECK(runs[i].dir ==
            "experiment_mnist_condgan-mlp_lr001_decay95e31/" + want_dirs[model] + "/" + std::to_string(seed));
    }
    CHECK(runs[100].models == ModelChoice{"BHSA", "default", "default", "default"});
    CHECK(runs[110].models == ModelChoice{"default", "BHSA", "default", "default"});
  }

  SUBCASE("N_SEEDS limits the seeds") {
    e.n_seeds = 3;
    const auto runs = expand_grid(e);
    CHECK(runs.size() == 13 * 3);
    CHECK(runs.back().seed == kMnistSeeds[2]);
  }

  SUBCASE("SKIP_DEFAULT drops the all-default run") {
    e.skip_default = true;
    const auto runs = expand_grid(e);
    REQUIRE(runs.size() == 120);
    for (const auto& r : runs) CHECK_FALSE(r.models.all_default());
    CHECK(run_dir_name(runs.front().models) == "output_GSHReLU");
  }
}

TEST_CASE("experiment: grids of the other reference keys") {
  // 16 output pairs less 6 with two different adaptive outputs = 10, plus 9 hidden-only.
  CHECK(expand_grid(load_experiment(kMnist, "condgan_mlp", mnist_defaults())).size() == 19 * 10);
  CHECK(expand_grid(load_experiment(kMnist, "condgan_mlp_lr001", mnist_defaults())).size() == 13 * 10);
  // "_SKIP_DEFAULT" is a comment, so the default model runs.
  const auto d = expand_grid(load_experiment(kCeleba, "celeba_dcgan", celeba_defaults()));
  CHECK(d.size() == 13 * 5);
  CHECK(d.front().dir == "experiment_celeba-dcgan/output/0");

  const auto h = expand_grid(load_experiment(kCeleba, "celeba_dcgan_henormal", celeba_defaults()));
  REQUIRE(h.size() == 2 * 5);
  for (int i = 0; i < 5; ++i) {
    CHECK(h[static_cast<size_t>(i)].dir == "experiment_celeba-dcgan_henormal/output_GMiDA/" + std::to_string(i));
    CHECK(h[static_cast<size_t>(i) + 5].dir == "experiment_celeba-dcgan_henormal/output_GMish/" + std::to_string(i));
    CHECK(h[static_cast<size_t>(i)].seed == kCelebaSeeds[static_cast<size_t>(i)]);
  }
}

TEST_CASE("experiment: SKIP_DEFAULT in a file drops the all-default run") {
  TempDir dir("skip_default");
  json doc = read_json(kMnist);
  doc[kMainKey]["SKIP_DEFAULT"] = 1;
  const std::string on = dir.write("on.json", doc.dump());
  const Experiment e = load_experiment(on, kMainKey, mnist_defaults());
  CHECK(e.skip_default);
  const auto runs = expand_grid(e);
  CHECK(runs.size() == 120);
  for (const auto& r : runs) CHECK_FALSE(r.models.all_default());

  // A flag follows its value: 0 is off.
  doc[kMainKey]["SKIP_DEFAULT"] = 0;
  const std::string off = dir.write("off.json", doc.dump());
  CHECK(expand_grid(load_experiment(off, kMainKey, mnist_defaults())).size() == 130);
}

TEST_CASE("experiment: config features beyond the reference keys") {
  TempDir dir("features");
  json doc = read_json(kMnist);
  json& x = doc[kMainKey];
  x["FREEZE_CUSTOM_PARAMETERS_EPOCH"] = 4;
  x["OPTIMIZER_OPTIONAL_PARAMS"] = {{"beta1", 0.6}, {"beta2", 0.99}, {"eps", 1e-6}};
  x["LEARNING_RATE_DECAY"] = {{"DECAY_RATE", 0.9}};  // no LAST_EPOCH_DECAY: every epoch
  x["NOT_A_KEY"] = true;
  x["_comment"] = "ignored silently";
  for (auto& l : x["DISCRIMINATOR"]["layers"])
    if (l["type"] == "custom_relu") l["LRelu_v"] = 0.1;
  const std::string path = dir.write("features.json", doc.dump());
  const Experiment e = load_experiment(path, kMainKey, mnist_defaults());
  CHECK(e.freeze_epoch == 4);
  CHECK(e.beta1 == 0.6);
  CHECK(e.beta2 == 0.99);
  CHECK(e.eps == 1e-6);
  CHECK(e.lr_decay_until == -1);
  CHECK(lr_at_epoch(e, 40) == doctest::Approx(0.001 * std::pow(0.9, 40)));
  CHECK(e.dis_hidden_slope == 0.1);
  CHECK(e.gen_hidden_slope == 0.2);
  REQUIRE(e.warnings.size() == 1);
  CHECK(contains(e.warnings[0], "NOT_A_KEY"));

  // No OPTIMIZER_OPTIONAL_PARAMS: the reference used Adam's own betas.
  x.erase("OPTIMIZER_OPTIONAL_PARAMS");
  const std::string plain = dir.write("plain.json", doc.dump());
  CHECK(load_experiment(plain, kMainKey, mnist_defaults()).beta1 == 0.9);

  // A config may give only what differs from the defaults.
  const std::string minimal = dir.write("minimal.json", R"({"short": {"EPOCHS": 5, "CONDITIONAL_LABELS": 10}})");
  const Experiment m = load_experiment(minimal, "short", mnist_defaults());
  CHECK(m.epochs == 5);
  CHECK(m.batch_size == 100);
  CHECK(m.seeds == kMnistSeeds);
  CHECK(m.n_seeds == 10);
}

TEST_CASE("experiment: to_json reads back to the same settings") {
  TempDir dir("roundtrip");
  std::vector<std::pair<Experiment, Experiment>> cases;  // (settings, the app defaults)
  cases.emplace_back(mnist_defaults(), mnist_defaults());
  cases.emplace_back(celeba_defaults(), celeba_defaults());
  cases.emplace_back(load_experiment(kMnist, "condgan_mlp", mnist_defaults()), mnist_defaults());
  cases.emplace_back(load_experiment(kCeleba, "celeba_dcgan_henormal", celeba_defaults()), celeba_defaults());
  Experiment tweaked = mnist_defaults();
  tweaked.freeze_epoch = 7;
  tweaked.skip_default = true;
  tweaked.dis_hidden_slope = 0.1;
  tweaked.gen_initializers = {{"MIDA_INITIALIZER", {{"name", "normal"}, {"l", {{"mean", 0.6}, {"std", 0.02}}}}}};
  cases.emplace_back(tweaked, mnist_defaults());
  for (size_t i = 0; i < cases.size(); ++i) {
    CAPTURE(i);
    const Experiment& e = cases[i].first;
    const json doc = {{e.key, to_json(e)}};
    const std::string path = dir.write("rt" + std::to_string(i) + ".json", doc.dump(1));
    const Experiment back = load_experiment(path, e.key, cases[i].second);
    CHECK(back.warnings.empty());
    Experiment want = e;
    // BHATA's spec is derived from BHAA's on load.
    if (want.gen_initializers.contains("BHAA_INITIALIZER"))
      want.gen_initializers["BHATA_INITIALIZER"] = want.gen_initializers["BHAA_INITIALIZER"];
    if (want.dis_initializers.contains("BHAA_INITIALIZER"))
      want.dis_initializers["BHATA_INITIALIZER"] = want.dis_initializers["BHAA_INITIALIZER"];
    check_same(back, want);
  }
}

TEST_CASE("experiment: bad files, keys and fields are errors naming them") {
  TempDir dir("errors");

  const std::string missing = (fs::temp_directory_path() / "aafgan_no_such_config.json").string();
  CHECK(contains(error_of([&] { load_experiment(missing, "x", mnist_defaults()); }), missing));

  const std::string broken = dir.write("broken.json", "{\"a\": {\"EPOCHS\": 1,}");
  const std::string m0 = error_of([&] { load_experiment(broken, "a", mnist_defaults()); });
  CHECK(contains(m0, broken));
  CHECK(contains(m0, "JSON"));

  // A number beyond double's range: nlohmann throws out_of_range there, not parse_error (found by
  // fuzz/fuzz_experiment, it used to end the process).
  const std::string huge = dir.write("huge.json", "{\"a\": {\"LEARNING_RATE\": 1e400}}");
  const std::string m_huge = error_of([&] { load_experiment(huge, "a", mnist_defaults()); });
  CHECK(contains(m_huge, huge));
  CHECK(contains(m_huge, "not valid JSON"));
  CHECK(contains(m_huge, "1e400"));

  const std::string m1 = error_of([&] { load_experiment(kMnist, "condgan_nope", mnist_defaults()); });
  CHECK(contains(m1, kMnist));
  CHECK(contains(m1, "\"condgan_nope\""));
  CHECK(contains(m1, "condgan_mlp_lr001_decay95e31"));
  CHECK(contains(m1, "condgan_mlp_lr001,"));

  CHECK(contains(mnist_error(dir, [](json& x) { x["BATCH_SIZE"] = "100"; }), "BATCH_SIZE"));
  CHECK(contains(mnist_error(dir, [](json& x) { x["EPOCHS"] = 0; }), "EPOCHS"));
  CHECK(contains(mnist_error(dir, [](json& x) { x["LEARNING_RATE"] = -1; }), "LEARNING_RATE"));
  CHECK(contains(mnist_error(dir, [](json& x) { x["DOUBLE_TENSORS"] = 2; }), "DOUBLE_TENSORS"));
  CHECK(contains(mnist_error(dir, [](json& x) { x["OPTIMIZER"] = "sgd"; }), "OPTIMIZER"));
  CHECK(contains(mnist_error(dir, [](json& x) { x["OPTIMIZER_OPTIONAL_PARAMS"]["beta1"] = 1.5; }),
                 "OPTIMIZER_OPTIONAL_PARAMS.beta1"));
  CHECK(contains(mnist_error(dir, [](json& x) { x["OPTIMIZER_OPTIONAL_PARAMS"]["momentum"] = 0.9; }),
                 "OPTIMIZER_OPTIONAL_PARAMS.momentum"));
  CHECK(contains(mnist_error(dir,
                             [](json& x) {
                               x["LEARNING_RATE_DECAY"] = {{"LAST_EPOCH_DECAY", 31}};
                             }),
                 "LEARNING_RATE_DECAY"));
  CHECK(contains(mnist_error(dir, [](json& x) { x["LEARNING_RATE_DECAY"]["DECAY_RATE"] = "0.95"; }),
                 "LEARNING_RATE_DECAY.DECAY_RATE"));
  CHECK(contains(mnist_error(dir, [](json& x) { x["SEEDS"][3] = -5; }), "SEEDS[3]"));
  CHECK(contains(mnist_error(dir, [](json& x) { x["N_SEEDS"] = 11; }), "N_SEEDS"));
  CHECK(contains(mnist_error(dir, [](json& x) { x["SKIP_DIFF_HIDDEN"] = "yes"; }), "SKIP_DIFF_HIDDEN"));
  CHECK(contains(mnist_error(dir, [](json& x) { x["IMG_SIZE"] = 32; }), "IMG_SIZE"));
  CHECK(contains(mnist_error(dir, [](json& x) { x["CHANNELS"] = 3; }), "CHANNELS"));
  CHECK(contains(mnist_error(dir, [](json& x) { x.erase("CONDITIONAL_LABELS"); }), "CONDITIONAL_LABELS"));
  CHECK(contains(mnist_error(dir, [](json& x) { x["GENERATOR"]["CONDITIONAL_LABELS"] = 5; }),
                 "GENERATOR.CONDITIONAL_LABELS"));

  const std::string m2 = mnist_error(dir, [](json& x) { x["GEN_MODELS"] = {"default", "BHXX"}; });
  CHECK(contains(m2, "GEN_MODELS[1]"));
  CHECK(contains(m2, "\"BHXX\""));
  CHECK(contains(m2, "default, BHSA, BHAA, BHATA, BHANA, DSILU"));
  const std::string m3 = mnist_error(dir, [](json& x) { x["DIS_HIDDEN_MODELS"] = {"BHSA"}; });
  CHECK(contains(m3, "DIS_HIDDEN_MODELS[0]"));
  CHECK(contains(m3, "default, SHReLU, Mish, MiDA"));
  CHECK(contains(mnist_error(dir, [](json& x) { x["DIS_MODELS"] = json::array(); }), "DIS_MODELS"));
  CHECK(contains(mnist_error(dir, [](json& x) { x["DIS_MODELS"] = {"BHSA", "BHSA"}; }), "listed twice"));

  const std::string m4 = mnist_error(dir, [](json& x) { x["GENERATOR"]["MIDA_INITIALIZER"] = {{"name", "uniform"}}; });
  CHECK(contains(m4, "GENERATOR.MIDA_INITIALIZER"));
  CHECK(contains(m4, "uniform"));
  CHECK(contains(mnist_error(dir,
                             [](json& x) {
                               x["DISCRIMINATOR"]["BHSA_INITIALIZER"] = {{"name", "normal"}, {"l", 3}};
                             }),
                 "DISCRIMINATOR.BHSA_INITIALIZER"));
  CHECK(contains(mnist_error(dir,
                             [](json& x) {
                               x["GENERATOR"]["MISH_INITIALIZER"] = {{"name", "default"}};
                             }),
                 "GENERATOR.MISH_INITIALIZER"));
  CHECK(contains(mnist_error(dir,
                             [](json& x) {
                               x["GENERATOR"]["INIT_NET_WEIGHTS"] = {{"name", "orthogonal"}};
                             }),
                 "GENERATOR.INIT_NET_WEIGHTS"));

  // The layer lists may only restate the fixed network.
  CHECK(
      contains(mnist_error(dir, [](json& x) { x["GENERATOR"]["layers"][0]["out"] = 128; }), "GENERATOR.layers[0].out"));
  CHECK(contains(mnist_error(dir, [](json& x) { x["DISCRIMINATOR"]["layers"][2]["v"] = 0.5; }),
                 "DISCRIMINATOR.layers[2].v"));
  CHECK(contains(mnist_error(dir, [](json& x) { x["DISCRIMINATOR"]["layers"].erase(2); }), "DISCRIMINATOR.layers"));
  CHECK(contains(mnist_error(dir, [](json& x) { x["DISCRIMINATOR"]["n_in"] = 784; }), "DISCRIMINATOR.n_in"));
  CHECK(contains(mnist_error(dir, [](json& x) { x["GENERATOR"]["n_out"] = 785; }), "GENERATOR.n_out"));
  CHECK(contains(mnist_error(dir, [](json& x) { x["GENERATOR"]["layers"][1]["LRelu_v"] = 0.3; }), "GENERATOR.layers["));
  CHECK(contains(mnist_error(dir, [](json& x) { x["GENERATOR"]["features_layers"] = json::array(); }),
                 "GENERATOR.features_layers"));

  // Each app accepts only its own network's configs.
  const std::string m5 = error_of([&] { load_experiment(kCeleba, "celeba_dcgan", mnist_defaults()); });
  CHECK(contains(m5, kCeleba));
  CHECK(contains(m5, "IMG_SIZE"));
  const std::string m6 = error_of([&] { load_experiment(kMnist, kMainKey, celeba_defaults()); });
  CHECK(contains(m6, kMnist));

  // The DCGAN's channel count follows the config, and its lists must agree with it.
  json cel = read_json(kCeleba);
  cel["celeba_dcgan"]["CHANNELS"] = 1;
  const std::string one = dir.write("one_channel.json", cel.dump());
  const std::string m7 = error_of([&] { load_experiment(one, "celeba_dcgan", celeba_defaults()); });
  INFO(m7);
  CHECK(contains(m7, "GENERATOR.features_layers[12]"));
}

TEST_CASE("experiment: expand_grid rejects what a CLI could get wrong") {
  Experiment e = mnist_defaults();
  e.n_seeds = 11;
  CHECK(contains(error_of([&] { expand_grid(e); }), "11 seed(s)"));
  e.n_seeds = 0;
  CHECK_THROWS_AS(expand_grid(e), Error);
  e.n_seeds = 1;
  e.gen_models = {"default", "BHSA", "tanh"};
  const std::string m = error_of([&] { expand_grid(e); });
  CHECK(contains(m, "GEN_MODELS[2]"));
  CHECK(contains(m, "default, BHSA"));
  e.gen_models = {"BHSA"};
  e.dis_hidden_models = {"MiDA", "MiDA"};
  CHECK(contains(error_of([&] { expand_grid(e); }), "listed twice"));
  e.dis_hidden_models = {"MiDA"};
  // BHSA output with a MiDA hidden layer changes both: nothing is left to run.
  CHECK(expand_grid(e).empty());
}
