// The experiment report's reading and aggregation (report/): strict CSV errors naming file and
// line, model folder names, run states, per-seed means/stds, final and best values, epochs to
// thresholds, comparisons against the default model and MiDA vs Mish, and the summary files.
// Expected Welch values: SciPy 1.17.1, scipy.stats.ttest_ind(x, y, equal_var=False) and its
// confidence_interval(0.95), on the final/best values listed with each check.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>

#include "base/error.h"
#include "report/aggregate.h"
#include "report/format.h"
#include "report/summary_writer.h"
#include "report/write_report.h"
#include "tests/report_fixture.h"
#include "tests/temp_dir.h"
#include "tests/test_helpers.h"

using namespace aafgan;
using namespace aafgan::report;
using aafgan::testing::TempDir;
using aafgan::testing::contains;
using aafgan::testing::error_of;
namespace fs = std::filesystem;

namespace {

const Model& model(const Experiment& ex, const std::string& name) {
  for (const Model& m : ex.models)
    if (m.name == name) return m;
  FAIL("no model " << name);
  return ex.models.front();
}

const ModelStats& stats(const Aggregate& a, const std::string& name) {
  for (const ModelStats& m : a.models)
    if (m.model == name) return m;
  FAIL("no model " << name);
  return a.models.front();
}

const Comparison& comparison(const std::vector<Comparison>& v, const std::string& model, const std::string& metric,
                             const std::string& quantity) {
  for (const Comparison& c : v)
    if (c.model == model && c.metric == metric && c.quantity == quantity) return c;
  FAIL("no comparison " << model << " " << metric << " " << quantity);
  return v.front();
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("report csv: metrics.csv cells, NaN/Infinity and empty cells") {
  const MetricsTable t = parse_metrics_csv("epoch,a,b\r\n1,0.5,NaN\r\n2,-inf,\r\n3,Infinity,1e-3\r\n\r\n", "m.csv");
  REQUIRE(t.rows() == 3);
  CHECK(t.columns == std::vector<std::string>{"a", "b"});
  CHECK((*t.column("a"))[0] == 0.5);
  CHECK(std::isinf((*t.column("a"))[1]));
  CHECK((*t.column("a"))[1] < 0);
  CHECK(std::isinf((*t.column("a"))[2]));
  CHECK(std::isnan((*t.column("b"))[0]));
  CHECK(std::isnan((*t.column("b"))[1]));
  CHECK((*t.column("b"))[2] == 1e-3);
  CHECK(t.column("c") == nullptr);
}

TEST_CASE("report csv: malformed metrics.csv names the file and line") {
  CHECK(contains(error_of([] { parse_metrics_csv("", "m.csv"); }), "m.csv: empty file"));
  CHECK(contains(error_of([] { parse_metrics_csv("step,a\n1,2\n", "m.csv"); }), "m.csv:1: the first column must be `epoch`"));
  CHECK(contains(error_of([] { parse_metrics_csv("epoch,a,a\n", "m.csv"); }), "m.csv:1: column \"a\" appears twice"));
  CHECK(contains(error_of([] { parse_metrics_csv("epoch,a\n1,2\n2,3,4\n", "m.csv"); }), "m.csv:3: 3 cells, the header has 2"));
  CHECK(contains(error_of([] { parse_metrics_csv("epoch,a\n1,2\n2,x1\n", "m.csv"); }), "m.csv:3: column a: \"x1\" is not a number"));
  CHECK(contains(error_of([] { parse_metrics_csv("epoch,a\n1,2\n3,3\n", "m.csv"); }), "m.csv:3: epoch 3 where 2 was expected"));
  CHECK(contains(error_of([] { parse_metrics_csv("epoch,a\n1,2\n\n2,3\n", "m.csv"); }), "m.csv:3: blank line inside the table"));
  CHECK(contains(error_of([] { parse_metrics_csv("epoch,a\n1,\"2\"\n", "m.csv"); }), "m.csv:2: quoted fields"));
  CHECK(contains(error_of([] { parse_metrics_csv("epoch,a\n1,0x10\n", "m.csv"); }), "\"0x10\" is not a number"));
}

TEST_CASE("report csv: a table wider or longer than any run's is refused by size, and lookups follow edits") {
  // Issue 22 row 7: 10^6 columns took minutes (a linear search per lookup) and 1.7 GB.
  std::string header = "epoch", row = "1";
  for (int c = 0; c < 4097; ++c) {
    header += ",c" + std::to_string(c);
    row += ",0.5";
  }
  const std::string msg = error_of([&] { parse_metrics_csv(header + "\n" + row + "\n", "wide.csv"); });
  CHECK(msg.find("wide.csv:1: 4097 columns, more than a run's table holds (at most 4096)") != std::string::npos);
  std::string tall = "epoch,a\n";
  for (int e = 1; e <= 100001; ++e) tall += std::to_string(e) + ",1\n";
  CHECK(contains(error_of([&] { parse_metrics_csv(tall, "tall.csv"); }), "100001 rows"));

  // The widest accepted table: every column found by name.
  header.resize(header.rfind(','));
  row.resize(row.rfind(','));
  MetricsTable t = parse_metrics_csv(header + "\n" + row + "\n", "wide.csv");
  REQUIRE(t.columns.size() == 4096);
  for (int c = 0; c < 4096; c += 97) REQUIRE(t.column("c" + std::to_string(c)) == &t.values[static_cast<size_t>(c)]);
  CHECK(t.column("c4096") == nullptr);
  // Columns added or replaced after a lookup are found too (the index is rebuilt).
  t.columns.push_back("added");
  t.values.push_back({2.0});
  REQUIRE(t.column("added") != nullptr);
  CHECK((*t.column("added"))[0] == 2.0);
  t.columns = {"x"};
  t.values = {{3.0}};
  CHECK(t.column("c0") == nullptr);
  REQUIRE(t.column("x") != nullptr);
  CHECK((*t.column("x"))[0] == 3.0);
}

TEST_CASE("report csv: stats/<name>.csv of the reference layout") {
  TempDir dir("report_stats_folder");
  aafgan::testing::write_text(dir.path() / "stats" / "d_losses.csv", "1.5,1.25,1\n");
  aafgan::testing::write_text(dir.path() / "stats" / "times.csv", "3,4\n");
  const MetricsTable t = read_stats_folder((dir.path() / "stats").string());
  REQUIRE(t.rows() == 3);
  CHECK(t.columns == std::vector<std::string>{"d_losses", "times"});
  CHECK((*t.column("d_losses"))[2] == 1.0);
  CHECK(std::isnan((*t.column("times"))[2]));
  aafgan::testing::write_text(dir.path() / "stats" / "g_losses.csv", "1,2\n3,4\n");
  CHECK(contains(error_of([&] { read_stats_folder((dir.path() / "stats").string()); }), "g_losses.csv:2: one row expected"));
}

TEST_CASE("report runs: model folder names in the reference layout") {
  const auto all = parse_model_folder("output_DMiDA_GMish_Dis_BHSA_Gen_BHAA");
  REQUIRE(all);
  CHECK(all->dis_hidden == "MiDA");
  CHECK(all->gen_hidden == "Mish");
  CHECK(all->dis == "BHSA");
  CHECK(all->gen == "BHAA");
  CHECK(model_folder_name(*all) == "output_DMiDA_GMish_Dis_BHSA_Gen_BHAA");
  CHECK(parse_model_folder("output") == ModelParts{});
  CHECK(parse_model_folder("output_Dis_BHSA")->dis == "BHSA");
  CHECK(parse_model_folder("output_Dis_BHSA")->dis_hidden == "default");
  CHECK_FALSE(parse_model_folder("outputs"));
  CHECK_FALSE(parse_model_folder("output_Gen_BHSA_DMiDA"));  // out of order
  CHECK_FALSE(parse_model_folder("output_D"));
  CHECK_FALSE(parse_model_folder("graphics"));
}

TEST_CASE("report runs: states, reasons and epochs of every run, a malformed run kept as unreadable") {
  TempDir dir("report_states");
  aafgan::testing::write_synthetic_experiment(dir.path());
  const Experiment ex = read_experiment(dir.dir());
  REQUIRE(ex.models.size() == 3);
  CHECK(ex.models[0].name == "output");  // the all-default model first
  CHECK(ex.run_count() == 12);
  CHECK(ex.run_count(RunState::complete) == 9);
  CHECK(ex.run_count(RunState::in_progress) == 1);
  CHECK(ex.run_count(RunState::failed) == 1);
  CHECK(ex.run_count(RunState::unreadable) == 1);
  const Run& bad = model(ex, "output").runs[3];
  CHECK(bad.state == RunState::unreadable);
  CHECK(contains(bad.reason, (dir.path() / "output" / "3" / "metrics.csv").string() + ":3"));
  CHECK(contains(bad.reason, "\"abc\" is not a number"));
  const Run& running = model(ex, "output_DMish").runs[2];
  CHECK(running.state == RunState::in_progress);
  CHECK(running.epochs == 2);
  CHECK(contains(running.reason, "2 epoch(s) recorded"));
  CHECK(contains(running.reason, "resumable"));
  const Run& failed = model(ex, "output_DMish").runs[3];
  CHECK(failed.state == RunState::failed);
  CHECK(failed.reason == "diverged: non-finite loss at epoch 2 batch 7 (d_loss nan, g_loss 0.7)");
  CHECK(failed.epochs == 3);
  const Run& with_sample = model(ex, "output_DMiDA").runs[0];
  CHECK(with_sample.last_sample_epoch == 4);
  CHECK(fs::path(with_sample.last_sample).filename() == "4.png");
  CHECK(ex.ignored == std::vector<std::string>{"notes", "output/0_failed_float32"});
}

TEST_CASE("report runs: a config.json that is no completion marker leaves the run in progress, saying why") {
  // Issue 22 §3: completion from content, as the apps judge it (grid/run_completion.h).
  TempDir dir("report_markers");
  using aafgan::testing::cells;
  for (const char* seed : {"0", "1", "2", "3"})
    aafgan::testing::write_synthetic_run(dir.path(), aafgan::testing::make_run("output", seed, {{"d_losses", cells({1, 0.9, 0.8})}}));
  const auto marker = [&](const char* seed) { return dir.path() / "output" / seed / "config.json"; };
  aafgan::testing::write_text(marker("0"), "");
  aafgan::testing::write_text(marker("1"), "{\"completed_epochs\": 5}");
  aafgan::testing::write_text(marker("2"), "{\"completed_epochs\": 3}");
  // 100,000 levels: refused by the marker's depth limit, not dumped or copied.
  aafgan::testing::write_text(marker("3"), "{\"completed_epochs\": 3, \"e\": " + std::string(100000, '[') +
                                               std::string(100000, ']') + "}");
  const Experiment ex = read_experiment(dir.dir());
  const auto& runs = ex.models.at(0).runs;
  REQUIRE(runs.size() == 4);
  CHECK(runs[3].state == RunState::in_progress);
  CHECK(contains(runs[3].reason, "config.json is unreadable"));
  CHECK(contains(runs[3].reason, "nested deeper than 66 levels"));
  CHECK(runs[0].state == RunState::in_progress);
  CHECK(contains(runs[0].reason, "config.json is empty; the apps resume such a run"));
  CHECK(runs[1].state == RunState::in_progress);
  CHECK(contains(runs[1].reason, "config.json says 5 epochs, the tables hold 3"));
  CHECK(runs[2].state == RunState::complete);
}

TEST_CASE("report runs: classifier accuracy as fraction or percent, D accuracy in percent") {
  MetricsTable frac = parse_metrics_csv("epoch,pre_classifier_accuracies,d_accuracies\n1,0.5,0.25\n2,1.0,0.5\n", "a.csv");
  CHECK(contains(normalise_units(frac), "fraction"));
  CHECK((*frac.column("pre_classifier_accuracies"))[1] == 100);
  CHECK((*frac.column("d_accuracies"))[0] == 25);
  MetricsTable pct = parse_metrics_csv("epoch,pre_classifier_accuracies\n1,1.0\n2,12.5\n", "b.csv");
  CHECK(contains(normalise_units(pct), "percent"));
  CHECK((*pct.column("pre_classifier_accuracies"))[0] == 1.0);
  CHECK((*pct.column("pre_classifier_accuracies"))[1] == 12.5);
}

TEST_CASE("report runs: a missing folder or one without runs is one readable error") {
  TempDir dir("report_no_runs");
  CHECK(contains(error_of([&] { read_experiment(dir.file("nope")); }), dir.file("nope") + ": no such folder"));
  CHECK(contains(error_of([&] { read_experiment(dir.dir()); }), "no runs found"));
  // The apps' --out folder instead of the experiment folder: the error points one level down.
  fs::create_directories(dir.path() / "experiment_x" / "output" / "0");
  CHECK(contains(error_of([&] { read_experiment(dir.dir()); }), "one level down, e.g. " + (dir.path() / "experiment_x").string()));
}

TEST_CASE("report aggregate: curves over complete and in-progress runs, partial epochs marked") {
  TempDir dir("report_curves");
  aafgan::testing::write_synthetic_experiment(dir.path());
  const Experiment ex = read_experiment(dir.dir());
  const Curve c = curve_of(model(ex, "output_DMish"), "pre_classifier_accuracies");
  CHECK(c.runs == 3);  // two complete, one in progress; the failed run is left out
  CHECK(c.in_progress == 1);
  REQUIRE(c.epochs == std::vector<int>{1, 2, 3, 4});
  CHECK(c.n == std::vector<int>{3, 3, 2, 2});
  CHECK(c.partial == std::vector<bool>{false, false, true, true});
  CHECK(c.mean[0] == doctest::Approx((33 + 31 + 30) / 3.0));
  CHECK(c.std[0] == doctest::Approx(1.5275252316519468));  // statistics.stdev([33, 31, 30])
  CHECK(c.mean[2] == doctest::Approx(81.5));
  const Curve d = curve_of(model(ex, "output"), "pre_classifier_accuracies");
  CHECK(d.runs == 3);  // the unreadable run is left out
  CHECK(d.mean[3] == doctest::Approx((91 + 88 + 86) / 3.0));
  CHECK(d.std[3] == doctest::Approx(2.516611478423583));  // statistics.stdev([91, 88, 86])
}

TEST_CASE("report aggregate: a model whose complete runs differ in length is warned about") {
  // Issue 22: runs of 3 and 1 epochs were averaged into one "final" value without a word.
  TempDir dir("report_mixed_lengths");
  using aafgan::testing::cells;
  aafgan::testing::write_synthetic_run(dir.path(), aafgan::testing::make_run("output", "0", {{"d_losses", cells({1, 0.9, 0.8})}}));
  aafgan::testing::write_synthetic_run(dir.path(), aafgan::testing::make_run("output", "1", {{"d_losses", cells({1.1})}}));
  aafgan::testing::write_synthetic_run(dir.path(), aafgan::testing::make_run("output_GBHSA", "0", {{"d_losses", cells({1, 0.7})}}));
  aafgan::testing::write_synthetic_run(dir.path(), aafgan::testing::make_run("output_GBHSA", "1", {{"d_losses", cells({1, 0.6})}}));
  const Aggregate a = aggregate(read_experiment(dir.dir()), ReportOptions{});
  REQUIRE(a.warnings.size() == 1);
  CHECK(contains(a.warnings[0], "model output: its complete runs have 1, 3 epochs"));
}

TEST_CASE("report aggregate: final, best, thresholds and Welch comparisons over complete runs") {
  TempDir dir("report_aggregate");
  aafgan::testing::write_synthetic_experiment(dir.path());
  const Experiment ex = read_experiment(dir.dir());
  ReportOptions opt;
  opt.thresholds = {50, 80, 90, 95};
  const Aggregate a = aggregate(ex, opt);
  CHECK(a.baseline == "output");
  CHECK(a.metrics.front() == "pre_classifier_accuracies");  // the display order puts it first
  CHECK(a.parameters == std::vector<std::string>{"D.hidden1.MiDA.lambda"});

  const ModelStats& def = stats(a, "output");
  CHECK(def.complete == 3);
  CHECK(def.unreadable == 1);
  const MetricStats& acc = def.metrics.at("pre_classifier_accuracies");
  CHECK(acc.final_value.summary.n == 3);
  CHECK(acc.final_value.summary.mean == doctest::Approx(88.33333333333333));
  CHECK(acc.final_value.summary.std == doctest::Approx(2.516611478423583));
  CHECK(acc.best_value.summary.mean == doctest::Approx((91 + 88 + 87) / 3.0));  // seed 2 peaks at epoch 3
  const MetricStats& fid = def.metrics.at("fid_scores");
  CHECK(fid.best_value.summary.mean == doctest::Approx(31));  // minimum: lower is better
  CHECK(fid.final_value.summary.mean == doctest::Approx((35 + 33 + 36) / 3.0));
  CHECK(def.metrics.at("d_losses").best_value.values.empty());  // losses: final only
  // Epochs to ≥ 50 / 80 / 90 / 95 %: seeds reach 50 at 2, 2, 2 (0.50 counts); 80 at 3, 4, 3; 90 at 4 only; 95 never.
  REQUIRE(def.thresholds.size() == 4);
  CHECK(def.thresholds[0].reached == 3);
  CHECK(def.thresholds[0].summary.mean == doctest::Approx(2));
  CHECK(format_threshold(def.thresholds[0]) == "2 ± 0 (3/3 reached)");
  CHECK(format_threshold(def.thresholds[1]) == "3.33 ± 0.58 (3/3 reached)");
  CHECK(def.thresholds[1].epochs == std::vector<double>{3, 4, 3});
  CHECK(def.thresholds[2].reached == 1);
  CHECK(format_threshold(def.thresholds[2]) == "4 (1/3 reached)");
  CHECK(format_threshold(def.thresholds[3]) == "n/a (0/3 reached)");

  const ModelStats& mish = stats(a, "output_DMish");
  CHECK(mish.complete == 2);
  CHECK(mish.in_progress == 1);
  CHECK(mish.failed == 1);
  // The percent run and the fraction run agree: finals 89 and 92.
  CHECK(mish.metrics.at("pre_classifier_accuracies").final_value.values == std::vector<double>{89, 92});

  // MiDA − default, classifier accuracy: ttest_ind([95,93,97,96], [91,88,86], equal_var=False)
  const WelchTest& w = comparison(a.vs_default, "output_DMiDA", "pre_classifier_accuracies", "final").test;
  REQUIRE(w.valid);
  CHECK(w.diff == doctest::Approx(6.916666666666671));
  CHECK(w.t == doctest::Approx(4.104085864403437));
  CHECK(w.df == doctest::Approx(3.3534671130445237));
  CHECK(w.p == doctest::Approx(0.021083827604692157));
  CHECK(w.ci_low == doctest::Approx(1.8593054419922552));
  CHECK(w.ci_high == doctest::Approx(11.974027891341088));
  // best: ttest_ind([95,93,97,96], [91,88,87], equal_var=False)
  const WelchTest& wb = comparison(a.vs_default, "output_DMiDA", "pre_classifier_accuracies", "best").test;
  CHECK(wb.t == doctest::Approx(4.465344009659346));
  CHECK(wb.df == doctest::Approx(3.8712214011933455));
  CHECK(wb.p == doctest::Approx(0.01197134660517537));
  CHECK(wb.ci_low == doctest::Approx(2.4357072987017068));
  // FID, best = min: ttest_ind([25,26,24,26], [30,32,31], equal_var=False)
  const WelchTest& wf = comparison(a.vs_default, "output_DMiDA", "fid_scores", "best").test;
  CHECK(wf.t == doctest::Approx(-7.666666666666667));
  CHECK(wf.df == doctest::Approx(4.330693069306931));
  CHECK(wf.p == doctest::Approx(0.0011216023954087845));
  CHECK(wf.ci_high == doctest::Approx(-3.7289012515975055));
  // FID final: ttest_ind([28,27,30,26], [35,33,36], equal_var=False)
  CHECK(comparison(a.vs_default, "output_DMiDA", "fid_scores", "final").test.p == doctest::Approx(0.002906370272814762));

  // MiDA vs Mish: output_DMiDA against output_DMish; ttest_ind([95,93,97,96], [89,92], equal_var=False)
  REQUIRE(a.mida_mish_pairs.size() == 1);
  CHECK(a.mida_mish_pairs[0] == std::pair<std::string, std::string>{"output_DMiDA", "output_DMish"});
  const WelchTest& wm = comparison(a.mida_vs_mish, "output_DMiDA", "pre_classifier_accuracies", "final").test;
  CHECK(wm.t == doctest::Approx(2.7519859326360256));
  CHECK(wm.df == doctest::Approx(1.693873043046083));
  CHECK(wm.p == doctest::Approx(0.13204544871121193));
  CHECK(wm.ci_low == doctest::Approx(-4.1233052108040305));
  CHECK(wm.ci_high == doctest::Approx(13.62330521080403));
}

TEST_CASE("report aggregate: epochs to a threshold, >= for accuracies and <= for FID") {
  const MetricsTable t = parse_metrics_csv("epoch,acc,fid\n1,10,50\n2,60,30\n3,40,20\n", "t.csv");
  CHECK(first_epoch_reaching(t, "acc", 50, Better::higher) == 2);
  CHECK(first_epoch_reaching(t, "acc", 60, Better::higher) == 2);
  CHECK(first_epoch_reaching(t, "acc", 61, Better::higher) == 0);
  CHECK(first_epoch_reaching(t, "fid", 30, Better::lower) == 2);
  CHECK(first_epoch_reaching(t, "fid", 10, Better::lower) == 0);
  CHECK(first_epoch_reaching(t, "missing", 1, Better::lower) == 0);
}

TEST_CASE("report summary: summary.csv, summary.md and runs.csv list every model, run state and comparison") {
  TempDir dir("report_summary");
  aafgan::testing::write_synthetic_experiment(dir.path() / "exp");
  ReportOptions opt;
  opt.thresholds = {50, 80, 90, 95};
  const WrittenReport w = write_report((dir.path() / "exp").string(), dir.file("out"), opt);
  CHECK(w.files.size() == 4);
  const std::string csv = read(dir.file("out/summary.csv"));
  CHECK(contains(csv, "kind,model,baseline,metric,quantity,n,mean,std,reached,"));
  CHECK(contains(csv, "value,output,,pre_classifier_accuracies,final,3,88.3333"));
  CHECK(contains(csv, "threshold,output,,pre_classifier_accuracies,epochs_to_95,3,,,0,"));
  CHECK(contains(csv, "vs_default,output_DMiDA,output,pre_classifier_accuracies,final,4,95.25,,,3,88.3333"));
  CHECK(contains(csv, "0.02108382760469"));
  CHECK(contains(csv, "mida_vs_mish,output_DMiDA,output_DMish,pre_classifier_accuracies,final,4,"));
  // Every row has the header's number of cells (no cell holds a comma here).
  std::istringstream lines(csv);
  std::string line;
  while (std::getline(lines, line)) CHECK(std::count(line.begin(), line.end(), ',') == 17);
  const std::string md = read(dir.file("out/summary.md"));
  CHECK(contains(md, "| `output_DMish` | 2 | in progress | 2 |"));
  CHECK(contains(md, "| `output_DMish` | 3 | failed | 3 | diverged: non-finite loss at epoch 2 batch 7"));
  CHECK(contains(md, "| `output` | 3 | unreadable | 0 |"));
  CHECK(contains(md, "n/a (0/3 reached)"));
  CHECK(contains(md, "+6.917 [1.86, 12.0] | 0.021 |"));
  CHECK(contains(md, "## MiDA vs Mish"));
  CHECK(contains(md, "`output/0_failed_float32`"));
  const std::string runs = read(dir.file("out/runs.csv"));
  CHECK(contains(runs, "output_DMish,2,in progress,2,"));
  CHECK(contains(runs, "output_DMish,3,failed,3,0,\"diverged: non-finite loss at epoch 2 batch 7 (d_loss nan, g_loss 0.7)\","));
}
