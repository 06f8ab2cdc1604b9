#pragma once
// What the benchmarks share: their command-line conventions, clocks, statistics and the lines
// that say on which machine a table was measured (benchmarking.md: machines of this class
// differ, so every table carries the CPU's vector flags).
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace aafgan::bench {

// Every option shows its default in --help, and a repeated option takes its last value, so a
// script can pass its defaults first and a user's later flag overrides them.
void configure_cli(CLI::App& app);

// The non-empty items of `s` between `sep`s.
std::vector<std::string> split(const std::string& s, char sep);

// Middle value (mean of the two middle ones for an even count); `v` must not be empty.
double median(std::vector<double> v);

// Milliseconds on the steady clock (differences only).
double now_ms();

// CPU milliseconds of the whole process, every thread: near wall × threads when the threads
// worked throughout, far below it when other processes took the cores.
double process_cpu_ms();

// "0.52 0.58 0.59", or "?" where the system does not say.
std::string load_averages();

// The OpenMP and Eigen thread counts, which the benchmarks always set together.
void set_threads(int threads);

// One line: the CPU model and core count, its vector flags, and those this build was compiled
// for (AAFGAN_NATIVE), e.g. "CPU: … , 2 cores; vector flags: avx2 fma avx512f …; compiled for: …".
std::string cpu_line();

}  // namespace aafgan::bench
