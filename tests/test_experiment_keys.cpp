// The schema table of experiment/experiment_keys.cpp drives everything: every key round-trips
// through to_json and load_experiment, every numeric key has both limits and an out-of-range
// value names it (in a file and as a flag), and every key with a flag appears in --help and
// overrides the experiment.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "apps/common/gan_app.h"
#include "base/error.h"
#include "experiment/experiment_keys.h"
#include "training/trainer.h"
#include "tests/temp_dir.h"
#include "tests/test_helpers.h"

using namespace aafgan;
using namespace aafgan::models;
using json = nlohmann::json;
using aafgan::testing::contains;
using aafgan::testing::error_of;

namespace {

const std::string kMnist = std::string(AAFGAN_FIXTURES_DIR) + "/reference_mnist_condgan.json";
const char* kMainKey = "condgan_mlp_lr001_decay95e31";

json read_json(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in);
  return json::parse(in);
}

// Valid values of a key worth trying, to find one that differs from the current value.
std::vector<json> candidates(const ExperimentKey& k, const Experiment& e) {
  const Bounds& b = k.bounds;
  switch (k.kind) {
    case KeyKind::integer:
      return {static_cast<int>(b.lo) + 1, static_cast<int>(b.lo), static_cast<int>(b.hi)};
    case KeyKind::number: {
      std::vector<json> v{(b.lo + b.hi) / 2};
      if (!b.lo_open) v.push_back(b.lo);
      if (!b.hi_open) v.push_back(b.hi);
      return v;
    }
    case KeyKind::flag:
      return {k.write(e) == 1 ? 0 : 1};
    case KeyKind::text:
      return k.choices.empty() ? std::vector<json>{"roundtrip_value"} : std::vector<json>(k.choices.begin(), k.choices.end());
    case KeyKind::names:
      return {json{"BHSA", "default"}, json{"MiDA"}};
    case KeyKind::seeds:
      return {json{3, 1, 2}};
    default:
      return {};
  }
}

json with_value(json obj, const ExperimentKey& k, const json& v) {
  (k.object().empty() ? obj[k.name] : obj[k.object()][k.leaf()]) = v;
  return obj;
}

}  // namespace

TEST_CASE("experiment keys: the table is well formed") {
  std::set<std::string> names, flags;
  for (const ExperimentKey& k : experiment_keys()) {
    CAPTURE(k.name);
    CHECK(names.insert(k.name).second);
    CHECK(k.read);
    CHECK(k.write);
    if (k.numeric()) {
      // Both limits, finite: a typo of a few zeros must fail at load, not after hours.
      CHECK(k.bounds.lo < k.bounds.hi);
      CHECK(std::isfinite(k.bounds.lo));
      CHECK(std::isfinite(k.bounds.hi));
    }
    if (k.required_in_object) CHECK_FALSE(k.object().empty());
    if (!k.flag.name.empty()) {
      CHECK(flags.insert(k.flag.name).second);
      CHECK(k.flag.help);
    }
  }
  // The limits the table adds beyond the reference's (issue 11).
  CHECK(experiment_key("NOISE_SIZE").bounds.hi == 4096);
  CHECK(experiment_key("GENERATE_N_IN_CSV").bounds.hi == 100000);
  CHECK(experiment_key("LEARNING_RATE_DECAY.DECAY_RATE").bounds.hi == 1);
  CHECK_THROWS_AS(experiment_key("NO_SUCH_KEY"), Error);
}

TEST_CASE("experiment keys: every key round-trips through to_json and load_experiment") {
  aafgan::testing::TempDir dir("experiment_keys_roundtrip");
  // Keys the app fixes (or that have one valid value) cannot change; any other must, in one app
  // at least.
  const std::set<std::string> fixed{"IMG_SIZE", "CONDITIONAL_LABELS", "OPTIMIZER", "DATASET", "VERSION"};
  std::set<std::string> changed;
  const ConfigReader direct("");
  for (const Experiment& base : {mnist_defaults(), celeba_defaults()}) {
    const Experiment app = base;
    for (const ExperimentKey& k : experiment_keys()) {
      // Once is enough: LAST_EPOCH_DECAY, say, is not written without a decay, which CelebA lacks.
      if (changed.count(k.name)) continue;
      CAPTURE(k.name);
      for (const json& v : candidates(k, base)) {
        Experiment e = base;
        try {
          k.read(direct, k.name, &v, e);
        } catch (const Error&) {
          continue;  // not valid for this app
        }
        if (k.write(e) == k.write(base)) continue;
        CAPTURE(v);
        const json written = to_json(e);
        const std::string path = dir.file("rt.json");
        std::ofstream(path) << json{{e.key, written}}.dump(1);
        const Experiment back = load_experiment(path, e.key, app);
        CHECK(back.warnings.empty());
        CHECK(k.write(back) == k.write(e));
        CHECK(to_json(back) == written);
        changed.insert(k.name);
        break;
      }
    }
  }
  for (const ExperimentKey& k : experiment_keys()) {
    if (k.kind == KeyKind::section || k.kind == KeyKind::ignored || fixed.count(k.name)) continue;
    CAPTURE(k.name);
    CHECK(changed.count(k.name) == 1);
  }
}

TEST_CASE("experiment keys: an out-of-range value of each numeric key fails naming it") {
  aafgan::testing::TempDir dir("experiment_keys_range");
  const json doc = read_json(kMnist);
  int checked = 0;
  for (const ExperimentKey& k : experiment_keys()) {
    if (!k.numeric()) continue;
    const Bounds& b = k.bounds;
    const double below = b.lo_open ? b.lo : b.lo - 1, above = b.hi_open ? b.hi : b.hi + 1;
    for (const double x : {below, above}) {
      const json v = k.kind == KeyKind::integer ? json(static_cast<int64_t>(x)) : json(x);
      CAPTURE(k.name);
      CAPTURE(v);
      const std::string path = dir.file("range.json");
      std::ofstream(path) << json{{kMainKey, with_value(doc[kMainKey], k, v)}}.dump();
      const std::string msg = error_of([&] { load_experiment(path, kMainKey, mnist_defaults()); });
      CHECK(contains(msg, path));
      CHECK(contains(msg, kMainKey));
      CHECK(contains(msg, k.name + ": must be in "));
      if (!k.flag.name.empty()) {
        ExperimentOverrides o;
        o.values[k.name] = v;
        Experiment e = mnist_defaults();
        CHECK(contains(error_of([&] { apply_overrides(o, e); }), k.flag.name + ": must be in"));
      }
      ++checked;
    }
  }
  CHECK(checked >= 2 * 15);
}

TEST_CASE("experiment keys: every key with a flag is in --help and overrides the experiment") {
  for (const Experiment& d : {mnist_defaults(), celeba_defaults()}) {
    CLI::App app{"test"};
    apps::GanAppOptions o;
    apps::add_gan_options(app, o, d);
    const std::string help = app.help();
    int flags = 0;
    for (const ExperimentKey& k : experiment_keys()) {
      if (k.flag.name.empty()) continue;
      CAPTURE(k.flag.name);
      CHECK(contains(help, k.flag.name + " "));
      CHECK(contains(help, k.flag.help(k.write(d))));
      ++flags;
    }
    CHECK(flags == 14);
  }
  CHECK(contains(
      [] {
        CLI::App app{"test"};
        apps::GanAppOptions o;
        apps::add_gan_options(app, o, celeba_defaults());
        return app.help();
      }(),
      "decay after epochs 0 … N−1 only (default: every epoch)"));

  CLI::App app{"test"};
  apps::GanAppOptions o;
  const Experiment d = mnist_defaults();
  apps::add_gan_options(app, o, d);
  app.parse(
      "--gen BHSA,default --dis-hidden MiDA --epochs 7 --batch-size 64 --lr 0.01 --beta1 0.25 --lr-decay 0.5 "
      "--lr-decay-until 3 --freeze-epoch 2 --dtype float64 --log-every 0 --seed 42 --seeds 3");
  const Experiment e = apps::resolve_experiment(app, o, d);
  CHECK(e.gen_models == std::vector<std::string>{"BHSA", "default"});
  CHECK(e.dis_hidden_models == std::vector<std::string>{"MiDA"});
  CHECK(e.dis_models == d.dis_models);
  CHECK(e.epochs == 7);
  CHECK(e.batch_size == 64);
  CHECK(e.lr == 0.01);
  CHECK(e.beta1 == 0.25);
  CHECK(e.beta2 == d.beta2);
  CHECK(e.lr_decay_rate == 0.5);
  CHECK(e.lr_decay_until == 3);
  CHECK(e.freeze_epoch == 2);
  CHECK(e.dtype == DType::f64);
  CHECK(e.verbose_batch_step == 0);
  CHECK(e.seeds == std::vector<uint64_t>{42, 43, 44});
  CHECK(e.n_seeds == 3);

  // The trainer's options come from the experiment in one place.
  const TrainOptions t = train_options(e);
  CHECK(t.epochs == 7);
  CHECK(t.batch_size == 64);
  CHECK(t.lr == 0.01);
  CHECK(t.beta1 == 0.25);
  CHECK(t.lr_decay_rate == 0.5);
  CHECK(t.lr_decay_until == 3);
  CHECK(t.freeze_epoch == 2);
  CHECK(t.log_every == 0);
  CHECK(t.grid_samples == d.samples_in_visualization);
  CHECK(train_options(celeba_defaults()).lr_decay_until == celeba_defaults().epochs);  // −1: every epoch

  // Bad values fail while parsing, naming the flag; a seed count beyond the list when applied.
  CLI::App strict{"test"};
  apps::GanAppOptions so;
  apps::add_gan_options(strict, so, d);
  CHECK_THROWS_AS(strict.parse("--lr-decay 1.5"), CLI::ValidationError);
  CLI::App counted{"test"};
  apps::GanAppOptions co;
  apps::add_gan_options(counted, co, d);
  counted.parse("--seeds 11");
  CHECK(contains(error_of([&] { apps::resolve_experiment(counted, co, d); }), "--seeds: must be in [1, 10]"));
}
