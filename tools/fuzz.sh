#!/usr/bin/env bash
# Fuzzes the file readers with libFuzzer (see fuzz/README.md).
#
#   bash tools/fuzz.sh [--brief] [--merge] [SECONDS_PER_HARNESS] [HARNESS...]
#
# Configures a clang build with ASan + UBSan in build-fuzz/ (AAFGAN_CUDA=OFF, AAFGAN_FUZZ=ON),
# builds the harnesses asked for (default: all), runs each for SECONDS_PER_HARNESS (default 60)
# on its kept corpus fuzz/corpus/<name>/, prints a table and exits 1 if any harness crashed.
#   --brief   a few seconds per harness (AAFGAN_FUZZ_BRIEF_SECONDS, default 4), every harness
#             unless some are named: what ctest fuzz.brief runs
#   --merge   afterwards, add the inputs that found new coverage to fuzz/corpus/<name>/
# Exits 77 ("skipped") when clang++ or the libFuzzer runtime is missing.
#
# Environment: AAFGAN_FUZZ_BUILD_DIR (default build-fuzz), AAFGAN_FUZZ_CRASH_DIR (default
# fuzz/crashes; crash, timeout and out-of-memory inputs go to <dir>/<harness>/), AAFGAN_FUZZ_CXX
# (default clang++), AAFGAN_FUZZ_JOBS (build parallelism, default nproc),
# AAFGAN_FUZZ_RSS_MB / AAFGAN_FUZZ_MALLOC_MB (default 2048), AAFGAN_FUZZ_TIMEOUT (seconds per
# input, default 10).
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
all=(idx jpeg png image_cache checkpoint experiment)
# The brief run's default set: every harness. Measured on two cores without ccache: the sanitized
# -O1 build of the data readers takes well under a minute, the engine that checkpoint and
# experiment need about a minute more.
brief_set=("${all[@]}")

seconds=
brief=0
merge=0
harnesses=()
for arg in "$@"; do
  case "$arg" in
    --brief) brief=1 ;;
    --merge) merge=1 ;;
    -h | --help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    '' | *[!0-9]*)
      if [[ " ${all[*]} " == *" $arg "* ]]; then
        harnesses+=("$arg")
      else
        echo "fuzz.sh: unknown harness or option '$arg' (harnesses: ${all[*]})" >&2
        exit 2
      fi ;;
    *) seconds=$arg ;;
  esac
done
if [ "$brief" = 1 ]; then
  seconds=${seconds:-${AAFGAN_FUZZ_BRIEF_SECONDS:-4}}
  [ ${#harnesses[@]} -gt 0 ] || harnesses=("${brief_set[@]}")
fi
seconds=${seconds:-60}
[ ${#harnesses[@]} -gt 0 ] || harnesses=("${all[@]}")

build=${AAFGAN_FUZZ_BUILD_DIR:-$root/build-fuzz}
crash_dir=${AAFGAN_FUZZ_CRASH_DIR:-$root/fuzz/crashes}
cxx=${AAFGAN_FUZZ_CXX:-clang++}

# clang without the runtime (Debian's libclang-rt-14-dev) links nothing with -fsanitize=fuzzer:
# try it rather than guess the runtime's path.
probe_dir=$(mktemp -d)
trap 'rm -rf "$probe_dir"' EXIT
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' > "$probe_dir/p.cpp"
if ! command -v "$cxx" > /dev/null 2>&1 ||
   ! "$cxx" -fsanitize=fuzzer,address,undefined "$probe_dir/p.cpp" -o "$probe_dir/p" > /dev/null 2>&1; then
  echo "skipped: clang/libFuzzer not installed ($cxx -fsanitize=fuzzer does not link; on Debian: apt-get install clang libclang-rt-14-dev)"
  exit 77
fi

launcher=()
command -v ccache > /dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# -O1 with line tables: sanitizer reports with file:line, and a build fast enough for CI.
mkdir -p "$build"
cmake -S "$root" -B "$build" -DCMAKE_CXX_COMPILER="$cxx" -DAAFGAN_CUDA=OFF -DAAFGAN_FUZZ=ON -DBUILD_TESTING=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" "${launcher[@]}" \
  > "$build/fuzz-configure.log" 2>&1 || { cat "$build/fuzz-configure.log"; echo "fuzz.sh: configure failed" >&2; exit 1; }
targets=()
for h in "${harnesses[@]}"; do targets+=("fuzz_$h"); done
echo "fuzz.sh: building ${targets[*]} in $build"
cmake --build "$build" -j"${AAFGAN_FUZZ_JOBS:-$(nproc)}" --target "${targets[@]}" > "$build/fuzz-build.log" 2>&1 ||
  { tail -n 60 "$build/fuzz-build.log"; echo "fuzz.sh: build failed (log: $build/fuzz-build.log)" >&2; exit 1; }

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
logs=$build/fuzz-logs
mkdir -p "$logs"
rows=()
failed=()
for h in "${harnesses[@]}"; do
  # New inputs go to a scratch corpus in the build folder; the kept one is only read (and, with
  # --merge, extended below).
  work=$build/fuzz-work/$h
  artifacts=$crash_dir/$h
  mkdir -p "$work" "$artifacts"
  dict=()
  [ -f "$root/fuzz/dict/$h.dict" ] && dict=(-dict="$root/fuzz/dict/$h.dict")
  before=$(find "$artifacts" -type f | wc -l)
  echo "fuzz.sh: $h for ${seconds}s"
  "$build/fuzz/fuzz_$h" -max_total_time="$seconds" -rss_limit_mb="${AAFGAN_FUZZ_RSS_MB:-2048}" \
    -malloc_limit_mb="${AAFGAN_FUZZ_MALLOC_MB:-2048}" -timeout="${AAFGAN_FUZZ_TIMEOUT:-10}" -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "${dict[@]}" "$work" "$root/fuzz/corpus/$h" > "$logs/$h.log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$h.log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$logs/$h.log" | tail -n 1)
  corpus=$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' "$logs/$h.log" | tail -n 1 | cut -d' ' -f2)
  crashes=$(($(find "$artifacts" -type f | wc -l) - before))
  if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes="? (rc $rc)"; fi
  rows+=("$h|${execs:-?}|${rate:-?}|${corpus:-?}|$crashes")
  if [ "$rc" -ne 0 ]; then
    failed+=("$h")
    echo "fuzz.sh: $h FAILED (exit $rc); the end of its log ($logs/$h.log):"
    grep -v '^#[0-9]' "$logs/$h.log" | tail -n 40
    echo "fuzz.sh: its input: $(grep -o 'Test unit written to .*' "$logs/$h.log" | tail -n 1 | cut -d' ' -f5-)"
  elif [ "$merge" = 1 ]; then
    "$build/fuzz/fuzz_$h" -merge=1 -rss_limit_mb="${AAFGAN_FUZZ_RSS_MB:-2048}" \
      -malloc_limit_mb="${AAFGAN_FUZZ_MALLOC_MB:-2048}" -timeout="${AAFGAN_FUZZ_TIMEOUT:-10}" \
      "$root/fuzz/corpus/$h" "$work" > "$logs/$h.merge.log" 2>&1 ||
      { echo "fuzz.sh: merging $h failed (log: $logs/$h.merge.log)"; failed+=("$h (merge)"); }
  fi
done

echo
printf '%-12s | %12s | %8s | %-15s | %s\n' harness execs exec/s "corpus (n/size)" crashes
printf '%s\n' '-------------+--------------+----------+-----------------+--------'
for r in "${rows[@]}"; do
  IFS='|' read -r h e s c k <<< "$r"
  printf '%-12s | %12s | %8s | %-15s | %s\n' "$h" "$e" "$s" "$c" "$k"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: failed: ${failed[*]}; crash inputs under $crash_dir/<harness>/ (replay one: $build/fuzz/fuzz_<harness> FILE)"
  exit 1
fi
echo "fuzz.sh: no crash"
