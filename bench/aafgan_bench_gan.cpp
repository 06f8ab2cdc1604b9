// Milliseconds per training iteration of either GAN (gan-protocol.md §1–§3):
// AdversarialTrainer::train_step (D step + G step), f32, for each model combination, optionally
// beside the PyTorch twin (tools/bench_gan_torch.py). --arch mnist (default) times the
// conditional MLP GAN on real batches of the bundled MNIST digits; --arch dcgan the DCGAN on
// random 3×64×64 images (the time of an iteration does not depend on the pixel values).
//
// The machines here are shared and their speed drifts by tens of percent within a minute, so
// the two sides are measured interleaved: a persistent PyTorch process and this one take turns
// in short blocks of iterations of the same model, and each side's median is over all its
// blocks. Ratios taken this way hold where two back-to-back runs would not (benchmarking.md).
//
//   aafgan_bench_gan [--arch mnist|dcgan] [--models gen/dis/gen_hidden/dis_hidden,...] [--threads N] [--iters N]
//                    [--warmup N] [--block N] [--torch] [--torch-preload LIB]
//
// Over 400 lines on purpose: one benchmark's whole protocol (models, warm-up, interleaved
// PyTorch side, tables) in one place, so that a reader checks the comparison's fairness at once.
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <optional>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench/bench_common.h"
#include "data/fake_images.h"
#include "data/mnist.h"
#include "engine/device.h"
#include "base/random_streams.h"
#include "kernels/cpu/blas_info.h"
#include "models/dcgan.h"
#include "models/image_data.h"
#include "models/mnist_condgan.h"
#include "models/mnist_data.h"
#include "training/trainer.h"

using namespace aafgan;
namespace fs = std::filesystem;

namespace {

struct Samples {
  std::vector<double> ms, cpu_ms;  // wall and process CPU time per timed iteration
  void append(const Samples& o) {
    ms.insert(ms.end(), o.ms.begin(), o.ms.end());
    cpu_ms.insert(cpu_ms.end(), o.cpu_ms.begin(), o.cpu_ms.end());
  }
};

struct Timing {
  double median_ms = 0, mean_ms = 0;
  // Median CPU time of the whole process per iteration: near wall × threads when the threads
  // worked or spun throughout, far below it when other processes took our cores.
  double cpu_ms = 0;
};

struct Row {
  std::string spec;
  std::optional<Timing> ours, torch;
  std::string torch_error;
};

Timing summarize(const Samples& s) {
  Timing t;
  t.median_ms = bench::median(s.ms);
  t.mean_ms = std::accumulate(s.ms.begin(), s.ms.end(), 0.0) / static_cast<double>(s.ms.size());
  t.cpu_ms = bench::median(s.cpu_ms);
  return t;
}

// CPU seconds (user + system) that process `pid` has used so far, from /proc/<pid>/stat.
double process_cpu_s(pid_t pid) {
  std::ifstream f(fmt::format("/proc/{}/stat", pid));
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return 0;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Cores that other processes kept busy over a short window, from /proc/stat, less what our
// idle PyTorch twin used (its OpenMP threads may still spin for a moment after a turn). The load
// average lags by a minute and would blame a quiet machine for work that has just ended (our
// own previous model included), so it is only printed, not used to judge.
double busy_cores(int window_ms, pid_t twin) {
  const auto sample = [](double& busy, double& total) {
    std::ifstream stat("/proc/stat");
    std::string cpu;
    double v[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    stat >> cpu;
    for (double& x : v) stat >> x;
    if (!stat || cpu != "cpu") return false;
    total = std::accumulate(std::begin(v), std::end(v), 0.0);
    busy = total - v[3] - v[4];  // all but idle and iowait
    return true;
  };
  const double cores = std::thread::hardware_concurrency();
  double b0 = 0, t0 = 0, b1 = 0, t1 = 0;
  const double twin0 = twin > 0 ? process_cpu_s(twin) : 0;
  if (!sample(b0, t0)) return -1;
  std::this_thread::sleep_for(std::chrono::milliseconds(window_ms));
  if (!sample(b1, t1) || t1 <= t0) return -1;
  const double twin_cores = twin > 0 ? (process_cpu_s(twin) - twin0) / (window_ms * 1e-3) : 0;
  return std::max(0.0, (b1 - b0) / (t1 - t0) * cores - twin_cores);
}

// OpenMP threads spin at barriers; when other processes hold the cores, a descheduled thread
// stalls its partner and multi-thread times grow several-fold, so such figures must be flagged.
std::string quiet_note(int threads, pid_t twin) {
  const double busy = busy_cores(500, twin);
  if (busy < 0) return "";
  const double cores = std::thread::hardware_concurrency();
  if (busy > 0.25 && busy + threads > cores + 0.1)
    fmt::print("  WARNING: other processes kept {:.1f} of {} cores busy just before: the timings below are "
               "distorted (multi-thread ones most); rerun when the machine is quiet\n", busy, cores);
  return fmt::format("{:.1f} of {} cores busy with other work before", busy, cores);
}

// Real digits in the order the file holds them, so the timing does not depend on a shuffle and
// the PyTorch twin reads the same batches.
std::vector<std::pair<Tensor, std::vector<int32_t>>> make_batches(const models::TrainingData& data,
                                                                  int64_t batch, int64_t wanted) {
  const int64_t count = std::max<int64_t>(1, std::min(wanted, data.size() / batch));
  std::vector<std::pair<Tensor, std::vector<int32_t>>> out;
  for (int64_t b = 0; b < count; ++b) {
    std::vector<int64_t> idx(static_cast<size_t>(batch));
    std::iota(idx.begin(), idx.end(), b * batch);
    std::vector<int64_t> shape = {batch};
    for (int64_t d : data.sample_shape().vec()) shape.push_back(d);
    Tensor images = Tensor::empty(Shape(shape), DType::f32);
    std::vector<int32_t> labels(static_cast<size_t>(batch));
    data.fill(idx.data(), batch, images.data<float>(), labels.data());
    out.emplace_back(std::move(images), std::move(labels));
  }
  return out;
}

// Our side: one model and its trainer, stepped on demand.
class OursBench {
 public:
  OursBench(const std::string& arch, const std::string& spec_text, const models::TrainingData& data, int64_t batch,
            int64_t n_batches, uint64_t seed, const std::string& run_dir, Device device, bool cuda_graph)
      : label_(spec_text),
        device_(device),
        // The streams celeba_dcgan and mnist_condgan use, so the benchmarked model is the one users train.
        init_(seed, stream_id(RandomStream::gan_init)),
        dropout_gen_(std::make_shared<Generator>(seed, stream_id(RandomStream::gan_dropout))) {
    const std::vector<std::string> parts = bench::split(spec_text, '/');
    if (parts.size() != 4) fail("--models: '{}' is not gen/dis/gen_hidden/dis_hidden", spec_text);
    if (arch == "dcgan") {
      models::DcGanSpec spec;  // the default config's DCGAN initialisation, as celeba_dcgan runs it
      spec.gen = parts[0];
      spec.dis = parts[1];
      spec.gen_hidden = parts[2];
      spec.dis_hidden = parts[3];
      spec.gen_init_weights = 1;
      spec.dis_init_weights = 1;
      spec.channels = data.sample_shape()[0];
      model_ = std::make_unique<models::DcGan>(spec, init_, DType::f32);
    } else {
      models::MnistGanSpec spec;
      spec.gen = parts[0];
      spec.dis = parts[1];
      spec.gen_hidden = parts[2];
      spec.dis_hidden = parts[3];
      model_ = std::make_unique<models::MnistCondGan>(spec, init_, dropout_gen_, DType::f32);
    }
    models::TrainOptions o;
    o.run_dir = run_dir;  // train_step writes nothing; the constructor only records it
    o.seed = seed;
    o.batch_size = batch;
    o.label = spec_text;
    o.device = device;
    o.cuda_graph = cuda_graph;
    trainer_ = std::make_unique<models::AdversarialTrainer>(*model_, data, o, DType::f32, dropout_gen_);
    batches_ = make_batches(data, batch, n_batches);
    for (auto& b : batches_) b.first = b.first.to(device);
  }

  // `skip` untimed iterations (the other side just evicted our caches), then `n` timed ones.
  Samples run(int n, int skip) {
    Samples s;
    for (int i = 0; i < skip + n; ++i) {
      const auto& [real, labels] = batches_[next_++ % batches_.size()];
      const double c0 = bench::process_cpu_ms();
      const auto t0 = std::chrono::steady_clock::now();
      trainer_->train_step(real, labels);
      synchronize(device_);  // the GPU's queued work belongs to this iteration
      const auto t1 = std::chrono::steady_clock::now();
      const double c1 = bench::process_cpu_ms();
      if (i >= skip) {
        s.ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        s.cpu_ms.push_back(c1 - c0);
      }
    }
    if (trainer_->read_stats().first_bad_step >= 0) fail("{}: the loss became non-finite", label_);
    return s;
  }

 private:
  std::string label_;
  Device device_;
  Generator init_;
  std::shared_ptr<Generator> dropout_gen_;
  std::unique_ptr<models::GanModel> model_;
  std::unique_ptr<models::AdversarialTrainer> trainer_;
  std::vector<std::pair<Tensor, std::vector<int32_t>>> batches_;
  size_t next_ = 0;
};

// The PyTorch side: tools/bench_gan_torch.py --serve, driven line by line over two pipes.
class TorchProcess {
 public:
  // Empty `why()` after construction means the twin is up and its BLAS line was printed.
  TorchProcess(const std::string& python, const std::string& script, const std::string& preload,
               const std::vector<std::string>& args) {
    if (!fs::exists(script)) {
      why_ = fmt::format("{} not found (pass --torch-script)", script);
      return;
    }
    int to_child[2], from_child[2];
    if (pipe(to_child) != 0 || pipe(from_child) != 0) {
      why_ = "cannot create pipes";
      return;
    }
    std::vector<std::string> argv_s = {python, script, "--serve"};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::fflush(stdout);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(to_child[0], 0);
      dup2(from_child[1], 1);
      close(to_child[0]);
      close(to_child[1]);
      close(from_child[0]);
      close(from_child[1]);
      if (!preload.empty()) setenv("LD_PRELOAD", preload.c_str(), 1);
      execv(python.c_str(), argv.data());
      std::fprintf(stderr, "cannot run %s\n", python.c_str());
      _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    if (pid_ < 0) {
      why_ = "fork failed";
      return;
    }
    to_ = fdopen(to_child[1], "w");
    from_ = fdopen(from_child[0], "r");
    const std::optional<nlohmann::json> hello = read_reply();
    if (!hello) {
      why_ = fmt::format("{} {} ended without a result ({})", python, script, finish());
    } else if (hello->contains("error")) {
      why_ = hello->value("error", "");
    } else {
      fmt::print("PyTorch {} ({} thread(s)), BLAS {}: GEMM 1024^3 {:.0f} GFLOP/s{}\n", hello->value("torch", "?"),
                 hello->value("threads", 0), hello->value("blas", "?"), hello->value("gemm_gflops", 0.0),
                 hello->value("preload", "").empty() ? "" : ", LD_PRELOAD " + hello->value("preload", ""));
      if (hello->value("reference_blas", false))
        fmt::print("!!!!! WARNING: {} !!!!!\n", hello->value("warning", "reference BLAS in use"));
    }
  }

  ~TorchProcess() { finish(); }
  const std::string& why() const { return why_; }
  pid_t pid() const { return pid_; }

  // Sends one command; returns the reply, or nothing when the process has gone.
  std::optional<nlohmann::json> request(const std::string& line) {
    if (!to_ || std::fprintf(to_, "%s\n", line.c_str()) < 0 || std::fflush(to_) != 0) return std::nullopt;
    return read_reply();
  }

 private:
  std::optional<nlohmann::json> read_reply() {
    static const std::string tag = "BENCH_JSON ";
    std::string line;
    char buf[1 << 16];
    while (from_ && std::fgets(buf, sizeof buf, from_)) {
      line += buf;
      if (line.back() != '\n') continue;
      if (line.rfind(tag, 0) == 0) {
        nlohmann::json j = nlohmann::json::parse(line.substr(tag.size()), nullptr, false);
        if (!j.is_discarded()) return j;
      }
      fmt::print("  torch: {}", line);  // anything else the twin says is passed on
      line.clear();
    }
    return std::nullopt;
  }

  std::string finish() {
    if (pid_ <= 0) return "";
    if (to_) {
      std::fprintf(to_, "quit\n");
      std::fclose(to_);
      to_ = nullptr;
    }
    if (from_) {
      std::fclose(from_);
      from_ = nullptr;
    }
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? fmt::format("exit status {}", WEXITSTATUS(status)) : std::string("killed by a signal");
  }

  pid_t pid_ = -1;
  FILE* to_ = nullptr;
  FILE* from_ = nullptr;
  std::string why_;
};

Samples samples_from(const nlohmann::json& j) {
  Samples s;
  s.ms = j.value("ms", std::vector<double>{});
  s.cpu_ms = j.value("cpu_ms", std::vector<double>{});
  return s;
}

std::string default_script() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  std::vector<fs::path> candidates;
  if (!ec) candidates.push_back(exe.parent_path() / ".." / "tools" / "bench_gan_torch.py");
  candidates.push_back(fs::path("tools") / "bench_gan_torch.py");
  for (const fs::path& p : candidates)
    if (fs::exists(p)) return fs::absolute(p).lexically_normal().string();
  return candidates.back().string();
}

std::string cell(const std::optional<Timing>& t) {
  return t ? fmt::format("{:7.2f} / {:7.2f}", t->median_ms, t->mean_ms) : std::string("n/a");
}

void print_side(const char* side, const std::string& spec, const Timing& t) {
  fmt::print("  {:<7} {:<32} median {:8.2f} ms  mean {:8.2f} ms  cpu {:8.2f} ms  (load {})\n", side, spec,
             t.median_ms, t.mean_ms, t.cpu_ms, bench::load_averages());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Milliseconds per training iteration (D step + G step, f32) of the conditional MNIST GAN or the "
               "DCGAN, optionally interleaved with its PyTorch twin in the same run."};
  bench::configure_cli(app);  // tools/bench_gan.sh passes its defaults first; a user's later flag overrides them
  std::string models_list = "default/default/default/default,BHSA/BHSA/default/default,default/default/MiDA/MiDA";
  std::string arch = "mnist", data_dir, python = "/usr/bin/python3", script, preload;
  int threads = 2, iters = 50, warmup = 5, block = 10;
  int64_t batch = 100;
  uint64_t seed = 0;
  bool torch = false;
  app.add_option("--arch", arch, "mnist (the conditional MLP GAN) or dcgan (the DCGAN, whose defaults are one "
                                 "model, batch 128, 1 warm-up + 3 timed iterations, turns of 1)")
      ->check(CLI::IsMember({"mnist", "dcgan"}));
  app.add_option("--models", models_list, "comma list of gen/dis/gen_hidden/dis_hidden combinations");
  app.add_option("--threads", threads, "CPU threads on both sides")->check(CLI::Range(1, 1024));
  app.add_option("--iters", iters, "timed iterations per model and side")->check(CLI::Range(1, 1 << 30));
  app.add_option("--warmup", warmup, "untimed iterations per model and side first")->check(CLI::Range(0, 1 << 30));
  app.add_option("--block", block, "iterations per turn when the sides alternate (each turn starts with one "
                                   "more, untimed)")->check(CLI::Range(1, 1 << 30));
  app.add_option("--batch-size", batch, "batch size")->check(CLI::Range(1, 10000));
  app.add_option("--seed", seed, "seed of the models, noise and dropout");
  std::string device_name = "cpu";
  bool tf32 = false, cuda_graph = true;
  app.add_option("--device", device_name, "cpu or cuda (PyTorch's twin runs on the same device, TF32 as --tf32)");
  app.add_flag("--tf32", tf32, "allow TF32 on the GPU, on both sides");
  app.add_flag("--cuda-graph,!--no-cuda-graph", cuda_graph,
               "our side replays each step as a CUDA graph after the warm-up (default on; PyTorch stays eager)");
  app.add_option("--data", data_dir, "MNIST folder with the t10k files (default: the bundled data/mnist)");
  app.add_flag("--torch", torch, "also time the PyTorch twin (tools/bench_gan_torch.py), interleaved");
  app.add_option("--python", python, "interpreter that has torch (Debian's python3-torch)");
  app.add_option("--torch-script", script, "path of bench_gan_torch.py (default: found next to the build folder)");
  app.add_option("--torch-preload", preload, "LD_PRELOAD for the PyTorch process, e.g. libjemalloc.so.2");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  const std::string run_dir = (fs::temp_directory_path() / fmt::format("aafgan_bench_gan_{}", getpid())).string();
  try {
    std::signal(SIGPIPE, SIG_IGN);  // a twin that dies mid-run must not take this process with it
    bench::set_threads(threads);
    const bool dcgan = arch == "dcgan";
    const Device device = parse_device(device_name);
    if (device.is_cuda()) set_allow_tf32(tf32);
    if (dcgan) {  // a DCGAN iteration costs ~250× an MNIST one: fewer, unless asked otherwise
      if (!app.count("--models")) models_list = "default/default/default/default";
      if (!app.count("--batch-size")) batch = 128;
      if (!app.count("--iters")) iters = 3;
      if (!app.count("--warmup")) warmup = 1;
      if (!app.count("--block")) block = 1;
    }
    const std::string dir = dcgan ? std::string("-") : fs::absolute(data::find_mnist_dir(data_dir)).string();
    std::unique_ptr<models::TrainingData> data;
    if (dcgan)
      data = std::make_unique<models::ImageTrainingData>(data::make_fake_images(batch * 2, 3, 64, seed),
                                                         "random 3×64×64 images");
    else
      data = std::make_unique<models::MnistTrainingData>(data::load_mnist_split(dir, "t10k"), 0);
    if (script.empty()) script = default_script();

    std::vector<Row> rows;
    for (const std::string& m : bench::split(models_list, ',')) rows.push_back(Row{m, {}, {}, {}});
    if (rows.empty()) fail("--models lists no model");

    fmt::print("{}, one iteration = D step + G step, batch {}, f32, {}; per model and side {} "
               "warm-up + {} timed iterations{}; data {}\n", dcgan ? "DCGAN 64×64" : "conditional MNIST GAN", batch,
               device.is_cuda() ? fmt::format("on {} (TF32 {}, our CUDA graphs {})", aafgan::device_name(device), tf32 ? "on" : "off",
                                              cuda_graph ? "on" : "off")
                                : kernels::cpu::describe_blas(kernels::cpu::linked_blas()),
               warmup, iters,
               torch ? fmt::format(", sides alternating every {}", block) : std::string(), data->describe());
    fmt::print("{}\n", bench::cpu_line());
    if (const std::string w = kernels::cpu::linked_blas_warning(); !w.empty()) fmt::print("warning: {}\n", w);
    fmt::print("load averages at start: {}\n", bench::load_averages());

    // Every timed and untimed iteration gets its own batch where the 10,000 digits allow.
    const int64_t n_batches = dcgan ? 2 : warmup + iters + iters / block + 1;
    std::unique_ptr<TorchProcess> twin;
    std::string torch_unavailable;
    if (torch) {
      twin = std::make_unique<TorchProcess>(
          python, script, preload,
          std::vector<std::string>{"--arch", arch, "--device", device.is_cuda() ? "cuda" : "cpu", "--tf32",
                                   tf32 ? "1" : "0", "--threads", std::to_string(threads), "--batch-size",
                                   std::to_string(batch),
                                   "--seed", std::to_string(seed), "--data", dir, "--batches",
                                   std::to_string(n_batches)});
      torch_unavailable = twin->why();
      if (!torch_unavailable.empty()) twin.reset();
    }

    for (Row& r : rows) {
      fmt::print("{}: {}\n", r.spec, quiet_note(threads, twin ? twin->pid() : -1));
      OursBench ours(arch, r.spec, *data, batch, n_batches, seed, run_dir, device, cuda_graph);
      bool with_twin = false;
      if (twin) {
        const auto reply = twin->request("build " + r.spec);
        if (!reply) {
          torch_unavailable = "the PyTorch process ended unexpectedly";
          twin.reset();
        } else if (reply->contains("error")) {
          r.torch_error = reply->value("error", "");
        } else {
          with_twin = true;
        }
      }
      Samples mine, theirs;
      ours.run(0, warmup);
      if (with_twin) twin->request(fmt::format("run {} 0 {}", r.spec, warmup));
      // Alternating which side opens a turn cancels any cost of coming second.
      for (int done = 0, turn = 0; done < iters; done += block, ++turn) {
        const int n = std::min(block, iters - done);
        const auto torch_turn = [&] {
          if (!with_twin) return;
          const auto reply = twin->request(fmt::format("run {} {} 1", r.spec, n));
          if (!reply || reply->contains("error")) {
            r.torch_error = reply ? reply->value("error", "") : "the PyTorch process ended unexpectedly";
            with_twin = false;
            return;
          }
          theirs.append(samples_from(*reply));
        };
        if (turn % 2) torch_turn();
        mine.append(ours.run(n, 1));
        if (turn % 2 == 0) torch_turn();
      }
      r.ours = summarize(mine);
      print_side("aafgan", r.spec, *r.ours);
      if (with_twin && theirs.ms.size() == static_cast<size_t>(iters)) {
        r.torch = summarize(theirs);
        print_side("torch", r.spec, *r.torch);
      } else if (!r.torch_error.empty()) {
        fmt::print("  torch   {:<32} {}\n", r.spec, r.torch_error);
      }
      std::fflush(stdout);
    }
    twin.reset();
    // Rows measured before a twin that died mid-run still get their column.
    const bool with_torch = std::any_of(rows.begin(), rows.end(), [](const Row& r) { return r.torch.has_value(); });
    if (torch && !torch_unavailable.empty())
      fmt::print("PyTorch unavailable: {}{}\n", torch_unavailable, with_torch ? "" : "; only our column is shown");

    fmt::print("\nms per iteration (median / mean), load averages at end: {}\n", bench::load_averages());
    if (with_torch) {
      fmt::print("{:<37} | {:>17} | {:>17} | {:>6}\n", "model (gen/dis/gen_hidden/dis_hidden)", "aafgan ms",
                 "PyTorch ms", "ratio");
      fmt::print("{:-<37}-+-{:->17}-+-{:->17}-+-{:->6}\n", "", "", "", "");
      for (const Row& r : rows) {
        const std::string ratio =
            r.ours && r.torch ? fmt::format("{:6.2f}", r.ours->median_ms / r.torch->median_ms) : std::string("n/a");
        fmt::print("{:<37} | {:>17} | {:>17} | {:>6}\n", r.spec, cell(r.ours), cell(r.torch), ratio);
      }
      fmt::print("ratio = aafgan median / PyTorch median (goal: at most {})\n", dcgan ? "0.90 (issue 6)" : "0.70 (issue 4)");
    } else {
      fmt::print("{:<37} | {:>17}\n", "model (gen/dis/gen_hidden/dis_hidden)", "aafgan ms");
      fmt::print("{:-<37}-+-{:->17}\n", "", "");
      for (const Row& r : rows) fmt::print("{:<37} | {:>17}\n", r.spec, cell(r.ours));
    }
    std::error_code ec;
    fs::remove_all(run_dir, ec);
    return 0;
  } catch (const std::exception& ex) {
    std::error_code ec;
    fs::remove_all(run_dir, ec);
    fmt::print(stderr, "aafgan_bench_gan: {}\n", ex.what());
    return 1;
  }
}
