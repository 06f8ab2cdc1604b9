#include "bench/bench_common.h"

#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace aafgan::bench {

void configure_cli(CLI::App& app) {
  app.option_defaults()->always_capture_default()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, sep);)
    if (!item.empty()) out.push_back(item);
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double process_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}

std::string load_averages() {
  double l[3] = {0, 0, 0};
  if (getloadavg(l, 3) != 3) return "?";
  return fmt::format("{:.2f} {:.2f} {:.2f}", l[0], l[1], l[2]);
}

void set_threads(int threads) {
  omp_set_num_threads(threads);
  Eigen::setNbThreads(threads);
}

namespace {

// The flags that decide GEMM and elementwise speed here, in /proc/cpuinfo's spelling.
const char* const kVectorFlags[] = {"sse4_2",   "avx",      "avx2",        "fma",        "avx512f",
                                    "avx512dq", "avx512bw", "avx512vl",    "avx512_vnni", "avx512_bf16"};

// What the compiler was allowed to use: -march=native (AAFGAN_NATIVE) or the baseline.
std::string compiled_for() {
  std::vector<const char*> isa;
#ifdef __SSE4_2__
  isa.push_back("sse4_2");
#endif
#ifdef __AVX__
  isa.push_back("avx");
#endif
#ifdef __AVX2__
  isa.push_back("avx2");
#endif
#ifdef __FMA__
  isa.push_back("fma");
#endif
#ifdef __AVX512F__
  isa.push_back("avx512f");
#endif
#ifdef __AVX512DQ__
  isa.push_back("avx512dq");
#endif
#ifdef __AVX512BW__
  isa.push_back("avx512bw");
#endif
#ifdef __AVX512VL__
  isa.push_back("avx512vl");
#endif
  return isa.empty() ? std::string("baseline (SSE2)") : fmt::format("{}", fmt::join(isa, " "));
}

}  // namespace

std::string cpu_line() {
  std::ifstream in("/proc/cpuinfo");
  std::string model = "?", line;
  std::set<std::string> flags;
  bool have_model = false, have_flags = false;
  while ((!have_model || !have_flags) && std::getline(in, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    key.erase(key.find_last_not_of(" \t") + 1);
    const std::string value = colon + 2 <= line.size() ? line.substr(colon + 2) : std::string();
    if (key == "model name" && !have_model) {
      model = value;
      have_model = true;
    } else if (key == "flags" && !have_flags) {
      std::istringstream words(value);
      for (std::string w; words >> w;) flags.insert(w);
      have_flags = true;
    }
  }
  std::vector<std::string> vector_flags;
  for (const char* f : kVectorFlags)
    if (flags.count(f)) vector_flags.emplace_back(f);
  return fmt::format("CPU: {}, {} cores; vector flags: {}; compiled for: {}", model, std::thread::hardware_concurrency(),
                     have_flags ? fmt::format("{}", fmt::join(vector_flags, " ")) : std::string("?"), compiled_for());
}

}  // namespace aafgan::bench
