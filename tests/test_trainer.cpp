// The adversarial trainer end to end on a few hundred real digits: every output file, a
// resumed run bit-identical to an uninterrupted one, and divergence handling.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <unistd.h>

#include "tests/temp_dir.h"
#include "tests/trainer_run.h"
#include "data/mnist.h"
#include "data/plot.h"
#include "engine/checkpoint.h"
#include "models/mnist_condgan.h"
#include "models/mnist_data.h"
#include "grid/run_lock.h"
#include "training/trainer.h"

using namespace aafgan;
namespace fs = std::filesystem;
using aafgan::testing::TempDir;

namespace {

using Run = testing::TrainerRun;

std::vector<double> all_values(const nn::Module& m) {
  std::vector<double> out;
  for (auto& [name, t] : m.named_parameters()) {
    const auto v = t.to_vector();
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

}  // namespace

TEST_CASE("trainer: a tiny run writes every output file") {
  TempDir dir("trainer_outputs");
  Run r(dir.path(), 1);
  CHECK(r.run() == models::RunOutcome::completed);
  for (const char* f : {"samples_img/1.png", "stats/d_losses.csv", "stats/g_losses.csv", "stats/d_accuracies.csv",
                        "stats/times.csv", "metrics.csv", "model_checkpoints/last.ckpt",
                        "config.json"})
    CHECK_MESSAGE(fs::exists(dir.path() / f), f);
  // A build without Cairo draws no plots (it says so at start).
  CHECK(fs::exists(dir.path() / "graphics/losses.png") == data::plots_available());
  // A finished run is skipped when the grid runs again.
  Run again(dir.path(), 1);
  CHECK(again.run() == models::RunOutcome::already_complete);
}

TEST_CASE("trainer: a run stopped mid-epoch and resumed is bit-identical to an uninterrupted one") {
  TempDir a("trainer_straight"), b("resumed");
  Run straight(a.path(), 2);
  REQUIRE(straight.run() == models::RunOutcome::completed);

  models::stop_requested().store(true);  // as SIGTERM would: the first batch finishes, then a checkpoint
  {
    Run first(b.path(), 2);
    CHECK(first.run() == models::RunOutcome::interrupted);
  }
  models::stop_requested().store(false);
  Run resumed(b.path(), 2);  // fresh objects, as a restarted process would have
  REQUIRE(resumed.run() == models::RunOutcome::completed);

  CHECK(all_values(resumed.model.generator()) == all_values(straight.model.generator()));
  CHECK(all_values(resumed.model.discriminator()) == all_values(straight.model.discriminator()));
  const Checkpoint ca = load_checkpoint((a.path() / "model_checkpoints/last.ckpt").string());
  const Checkpoint cb = load_checkpoint((b.path() / "model_checkpoints/last.ckpt").string());
  CHECK(ca.metadata.at("history").at("d_losses") == cb.metadata.at("history").at("d_losses"));
  CHECK(ca.metadata.at("rng") == cb.metadata.at("rng"));
}

TEST_CASE("trainer: every epoch's lr is the schedule's, bit for bit, straight and across resumes") {
  // Decay that ends inside the run and a freeze, so a resume crosses both; the run is resumed at an
  // epoch's end (its epochs raised, as a user would), then stopped and resumed mid-epoch.
  const auto setup = [](Run& r) {
    r.opt.lr_decay_rate = 0.9;
    r.opt.lr_decay_until = 3;
    r.opt.freeze_epoch = 2;
  };
  TempDir a("trainer_lr_straight"), b("trainer_lr_resumed");
  Run straight(a.path(), 5);
  setup(straight);
  REQUIRE(straight.run() == models::RunOutcome::completed);
  {
    Run first(b.path(), 3);
    setup(first);
    REQUIRE(first.run() == models::RunOutcome::completed);
  }
  models::stop_requested().store(true);  // the first batch of epoch 4, then a checkpoint
  {
    Run second(b.path(), 5);
    setup(second);
    CHECK(second.run() == models::RunOutcome::interrupted);
  }
  models::stop_requested().store(false);
  Run resumed(b.path(), 5);
  setup(resumed);
  REQUIRE(resumed.run() == models::RunOutcome::completed);

  const models::TrainSchedule schedule(straight.opt);
  // metrics.csv of the same run before the schedule existed (test_trainer_schedule.cpp).
  const std::vector<double> written = {0.001, 0.0009000000000000001, 0.0008100000000000001, 0.000729, 0.000729};
  for (const fs::path& dir : {a.path(), b.path()}) {
    CAPTURE(dir);
    const Checkpoint ck = load_checkpoint((dir / "model_checkpoints/last.ckpt").string());
    const auto lrs = ck.metadata.at("history").at("lr").get<std::vector<double>>();
    REQUIRE(lrs.size() == written.size());
    for (size_t e = 0; e < lrs.size(); ++e) {
      CHECK(lrs[e] == written[e]);
      CHECK(lrs[e] == schedule.lr_at_epoch(static_cast<int>(e)));
    }
    // The optimizers' lr after the last epoch, which a further resume would start from.
    for (const char* net : {"optG.lr", "optD.lr"}) CHECK(ck.at(net).to_vector().at(0) == schedule.lr_at_epoch(5));
    CHECK(ck.metadata.at("frozen").get<bool>());
  }
  CHECK(all_values(resumed.model.generator()) == all_values(straight.model.generator()));
  CHECK(all_values(resumed.model.discriminator()) == all_values(straight.model.discriminator()));
}

TEST_CASE("trainer: a run stopped after an epoch's last batch resumes with that batch's losses") {
  // Found by tools/fault_inject.sh: a SIGTERM during the last batch of an epoch checkpoints at
  // "next batch = batches"; the resume trains no batch before the epoch's end, and its metrics.csv
  // got zeros for the last-batch columns (d_losses_last, ...) instead of the last batch's values.
  TempDir a("trainer_last_straight"), b("trainer_last_resumed");
  Run straight(a.path(), 2);
  straight.opt.batch_size = 300;  // one batch per epoch: the first batch is the last
  REQUIRE(straight.run() == models::RunOutcome::completed);
  models::stop_requested().store(true);
  {
    Run first(b.path(), 2);
    first.opt.batch_size = 300;
    CHECK(first.run() == models::RunOutcome::interrupted);
  }
  models::stop_requested().store(false);
  Run resumed(b.path(), 2);
  resumed.opt.batch_size = 300;
  REQUIRE(resumed.run() == models::RunOutcome::completed);
  const Checkpoint ca = load_checkpoint((a.path() / "model_checkpoints/last.ckpt").string());
  const Checkpoint cb = load_checkpoint((b.path() / "model_checkpoints/last.ckpt").string());
  for (const char* key : {"d_losses_last", "g_losses_last", "d_accuracies_last", "d_losses"})
    CHECK_MESSAGE(ca.metadata.at("history").at(key) == cb.metadata.at("history").at(key), key);
}

TEST_CASE("trainer: a non-finite loss marks the run failed and keeps the last good checkpoint") {
  TempDir dir("trainer_diverge");
  {
    Run good(dir.path(), 1);
    REQUIRE(good.run() == models::RunOutcome::completed);
  }
  fs::remove(dir.path() / "config.json");  // let a longer run continue from the epoch-1 checkpoint
  const auto before = fs::last_write_time(dir.path() / "model_checkpoints/last.ckpt");
  Run bad(dir.path(), 2);
  // Poison the generator's output layer after resuming: every loss becomes NaN.
  bad.opt.metrics.clear();
  Tensor w = bad.model.generator().named_parameters().back().second;
  w.fill_(std::numeric_limits<double>::quiet_NaN());
  bad.opt.resume = false;  // the poisoned weights must not be replaced by the checkpoint's
  CHECK(bad.run() == models::RunOutcome::diverged);
  CHECK(fs::exists(dir.path() / "error.txt"));
  CHECK(fs::last_write_time(dir.path() / "model_checkpoints/last.ckpt") == before);
  Run later(dir.path(), 2);
  CHECK(later.run() == models::RunOutcome::previously_failed);
}

TEST_CASE("trainer: a sample count that does not fit the grid is refused before training") {
  TempDir dir("trainer_grid_fit");
  Run r(dir.path(), 1);
  r.opt.grid_samples = 15;
  r.opt.grid_rows = 1;  // 1 × 10 cannot hold 15
  CHECK_THROWS_WITH_AS(r.run(), doctest::Contains("SAMPLES_IN_VISUALIZATION 15 does not fit the sample grid of 1×10"),
                       std::runtime_error);
  CHECK(!fs::exists(dir.path() / "model_checkpoints"));
  r.opt.grid_rows = 2;  // what mnist_condgan now lays out for 15: a partial last row
  CHECK(r.run() == models::RunOutcome::completed);
  CHECK(fs::exists(dir.path() / "samples_img/1.png"));
}

TEST_CASE("trainer: the epoch is checkpointed before its metrics, and a run killed in them redoes only them") {
  TempDir dir("trainer_metrics_kill");
  int calls = 0;
  {
    Run r(dir.path(), 1);
    // A metric that dies the first time, as a process killed during FID would.
    r.opt.metrics = {{"score", "score", [&](models::GanModel&) -> double {
                        ++calls;
                        throw std::runtime_error("killed during the metric");
                      }}};
    CHECK_THROWS(r.run());
  }
  REQUIRE(fs::exists(dir.path() / "model_checkpoints/last.ckpt"));
  const Checkpoint mid = load_checkpoint((dir.path() / "model_checkpoints/last.ckpt").string());
  CHECK(mid.metadata.at("epoch") == 1);
  CHECK(mid.metadata.at("history").at("d_losses").size() == 1);
  CHECK(mid.metadata.at("history").at("score").empty());
  Run resumed(dir.path(), 1);
  resumed.opt.metrics = {{"score", "score", [&](models::GanModel&) { return 42.0 + calls++; }}};
  CHECK(resumed.run() == models::RunOutcome::completed);
  const Checkpoint end = load_checkpoint((dir.path() / "model_checkpoints/last.ckpt").string());
  CHECK(end.metadata.at("history").at("score") == nlohmann::json::array({43.0}));
  CHECK(end.metadata.at("history").at("d_losses").size() == 1);  // no epoch trained twice
  CHECK(calls == 2);
}

TEST_CASE("trainer: a start removes the temporaries a killed process left in its run folder") {
  // Found by tools/fault_inject.sh: a SIGKILL inside the write of metrics.csv left its temporary,
  // and the next start, stopped mid-epoch, never wrote metrics.csv again to clean it.
  TempDir dir("trainer_stale_temps");
  fs::create_directories(dir.path() / "samples_img");
  const std::vector<fs::path> temps = {dir.path() / "metrics.csv.tmp.1.25",  // pid 1: alive, reused
                                       dir.path() / "samples_img/1.png.tmp"};  // the earlier PNG writer's
  for (const auto& p : temps) std::ofstream(p) << "torn";
  models::stop_requested().store(true);  // this start writes nothing but its stop checkpoint
  {
    Run r(dir.path(), 1);
    CHECK(r.run() == models::RunOutcome::interrupted);
  }
  models::stop_requested().store(false);
  for (const auto& p : temps) CHECK_MESSAGE(!fs::exists(p), p.string());
  CHECK(fs::exists(dir.path() / "model_checkpoints/last.ckpt"));
}

TEST_CASE("trainer: a second process on the same run folder is refused, naming the holder") {
  TempDir dir("trainer_lock");
  const models::RunLock held(dir.path().string());  // as another process training this run
  Run r(dir.path(), 1);
  CHECK_THROWS_WITH_AS(r.run(), doctest::Contains("is in use by host"), models::RunFolderBusy);
  CHECK(!fs::exists(dir.path() / "model_checkpoints"));
}

TEST_CASE("trainer: --no-resume starts an unfinished run over but keeps a completed one unless --overwrite") {
  TempDir dir("trainer_no_resume");
  {
    Run r(dir.path(), 1);
    REQUIRE(r.run() == models::RunOutcome::completed);
  }
  Run again(dir.path(), 1);
  again.opt.resume = false;
  again.opt.start_over = true;
  CHECK(again.run() == models::RunOutcome::already_complete);
  CHECK(fs::exists(dir.path() / "config.json"));
  std::ofstream(dir.path() / "stale.txt") << "from an earlier attempt";
  again.opt.overwrite = true;
  CHECK(again.run() == models::RunOutcome::completed);
  CHECK(!fs::exists(dir.path() / "stale.txt"));
  CHECK(fs::exists(dir.path() / "model_checkpoints/last.ckpt"));
}

TEST_CASE("trainer: a resume with other settings fails naming them, unless --force-resume") {
  TempDir dir("trainer_settings");
  models::stop_requested().store(true);  // a checkpoint after the first batch
  {
    Run first(dir.path(), 1);
    REQUIRE(first.run() == models::RunOutcome::interrupted);
  }
  models::stop_requested().store(false);
  Run changed(dir.path(), 1);
  changed.opt.lr = 2e-3;
  changed.opt.batch_size = 25;
  CHECK_THROWS_WITH_AS(changed.run(), doctest::Contains("batch_size 50 (now 25), lr 0.001 (now 0.002)"),
                       std::runtime_error);
  changed.opt.force_resume = true;
  CHECK(changed.run() == models::RunOutcome::completed);
  const Checkpoint ck = load_checkpoint((dir.path() / "model_checkpoints/last.ckpt").string());
  CHECK(ck.metadata.at("settings").at("batch_size") == 25);
}

TEST_CASE("trainer: non-finite metric values survive a checkpoint and a resume") {
  TempDir dir("trainer_nan_history");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  {
    Run r(dir.path(), 1);
    r.opt.metrics = {{"score", "score", [&](models::GanModel&) { return nan; }}};
    REQUIRE(r.run() == models::RunOutcome::completed);
  }
  fs::remove(dir.path() / "config.json");  // continue to a second epoch from the checkpoint
  Run more(dir.path(), 2);
  more.opt.metrics = {{"score", "score", [&](models::GanModel&) { return -std::numeric_limits<double>::infinity(); }}};
  REQUIRE(more.run() == models::RunOutcome::completed);
  const Checkpoint ck = load_checkpoint((dir.path() / "model_checkpoints/last.ckpt").string());
  CHECK(ck.metadata.at("history").at("score") == nlohmann::json::array({"NaN", "-Infinity"}));
  std::ifstream csv(dir.path() / "stats/score.csv");
  std::string line;
  std::getline(csv, line);
  CHECK(line == "nan,-inf");
}

TEST_CASE("trainer: a stop signal during the epoch's metrics stops the run, and the resume redoes them") {
  TempDir dir("trainer_stop_in_metrics");
  {
    Run r(dir.path(), 1);
    r.opt.metrics = {{"score", "score", [](models::GanModel&) -> double {
                        models::stop_requested().store(true);  // as SIGTERM during FID
                        throw_if_stop_requested("a test metric");
                        return 0.0;
                      }}};
    CHECK(r.run() == models::RunOutcome::interrupted);
  }
  models::stop_requested().store(false);
  Run resumed(dir.path(), 1);
  resumed.opt.metrics = {{"score", "score", [](models::GanModel&) { return 7.0; }}};
  CHECK(resumed.run() == models::RunOutcome::completed);
  const Checkpoint ck = load_checkpoint((dir.path() / "model_checkpoints/last.ckpt").string());
  CHECK(ck.metadata.at("history").at("score") == nlohmann::json::array({7.0}));
}
