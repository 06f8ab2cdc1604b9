// The address-space check that must run before OpenBLAS's constructor (kernels/cpu/blas_memory.h).
//
// gotoblas_init() maps a 128 MiB buffer for each thread it starts and, when the limit refuses one,
// retries forever, before main() is ever reached: no flag, message or signal handler of ours can
// help then. An executable's .preinit_array runs before every shared library's constructor (the
// ELF gABI; glibc's _dl_init), by when all libraries are mapped, so their size is known. Here:
// too small for one thread is an error and exit 1. Room for fewer threads than OpenBLAS would
// start re-executes the program with OMP_NUM_THREADS lowered (which sizes the OpenMP build's
// start-up buffers and each GEMM's team): libc has not read the environment yet when this runs,
// and sets it from the process's original one afterwards, so a setenv() here would be lost (glibc
// 2.36, tested). The note saying so travels in AAFGAN_BLAS_START_NOTE to the re-executed program.
//
// Every executable linking the OpenBLAS build holds this file: kernels/CMakeLists.txt names
// aafgan_blas_preinit_anchor as undefined at link time, which pulls it out of the static library.
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/cpu/blas_memory.h"

namespace aafgan::kernels::cpu {

namespace {

constexpr char kNoteVariable[] = "AAFGAN_BLAS_START_NOTE";

#ifdef AAFGAN_WITH_OPENBLAS

// OpenBLAS counts every configured CPU, not those of this process's affinity mask (measured
// under taskset -c 0: two buffers on a 2-CPU machine).
int cpus_configured() {
  const long n = sysconf(_SC_NPROCESSORS_CONF);
  return n > 0 ? static_cast<int>(n) : 1;
}

// getenv() sees nothing yet (libc's environ is set after this runs): the loader's array is read.
const char* find_in(char** env, const char* name) {
  const size_t len = std::strlen(name);
  for (char** e = env; e && *e; ++e)
    if (std::strncmp(*e, name, len) == 0 && (*e)[len] == '=') return *e + len + 1;
  return nullptr;
}

void write_all(int fd, const std::string& text) {
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n <= 0) return;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

[[noreturn]] void refuse(char** argv, const std::string& message) {
  const char* slash = argv && argv[0] ? std::strrchr(argv[0], '/') : nullptr;
  const std::string program = argv && argv[0] ? (slash ? slash + 1 : argv[0]) : "aafgan";
  write_all(STDERR_FILENO, program + ": " + message + "\n");
  ::_exit(1);
}

void fit_openblas_start_threads(int, char** argv, char** env) {
  const uint64_t limit = address_space_limit();
  if (limit == std::numeric_limits<uint64_t>::max()) return;
  const int threads = openblas_start_threads([env](const char* name) { return find_in(env, name); }, cpus_configured());
  const BlasAddressSpace fit = fit_blas_address_space(limit, address_space_in_use(), threads, true);
  if (!fit.error.empty()) refuse(argv, fit.error);
  if (fit.note.empty()) return;
  // Once only: the program re-executed with fewer threads fits by construction, so a second
  // note here means the environment did not reach it.
  if (find_in(env, kNoteVariable))
    refuse(argv, fit.note + "; but OMP_NUM_THREADS=" + std::to_string(fit.threads) +
                     " did not take effect: set it in the environment");
  std::vector<std::string> entries;
  for (char** e = env; e && *e; ++e) {
    const std::string_view entry(*e);
    if (entry.rfind("OMP_NUM_THREADS=", 0) != 0 && entry.rfind(std::string(kNoteVariable) + "=", 0) != 0)
      entries.emplace_back(entry);
  }
  entries.push_back("OMP_NUM_THREADS=" + std::to_string(fit.threads));
  entries.push_back(std::string(kNoteVariable) + "=" + fit.note);
  std::vector<char*> new_env;
  for (std::string& entry : entries) new_env.push_back(entry.data());
  new_env.push_back(nullptr);
  ::execve("/proc/self/exe", argv, new_env.data());
  refuse(argv, fit.note + "; re-executing with OMP_NUM_THREADS=" + std::to_string(fit.threads) + " failed (" +
                   std::strerror(errno) + "): set it in the environment");
}

__attribute__((section(".preinit_array"), used)) void (*const kPreinit)(int, char**, char**) =
    fit_openblas_start_threads;

#endif

}  // namespace

const std::string& blas_start_note() {
  static const std::string note = [] {
    const char* v = std::getenv(kNoteVariable);
    std::string text = v ? v : "";
    // Not for the programs this one starts: they make their own check.
    ::unsetenv(kNoteVariable);
    return text;
  }();
  return note;
}

}  // namespace aafgan::kernels::cpu

extern "C" {
// Referenced only by the linker's --undefined (kernels/CMakeLists.txt), to keep this file linked.
extern const int aafgan_blas_preinit_anchor;
const int aafgan_blas_preinit_anchor = 0;
}
