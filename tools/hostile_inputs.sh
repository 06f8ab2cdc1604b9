#!/usr/bin/env bash
# Replays issue 22's hostile inputs against the built apps and prints, per row, the exit code,
# the wall time and the peak resident memory (GNU time), with the first line of the message.
# The issue's budget for a rejected input: under 10 s and under 1.5 GB on the CI machine; a row
# over it, or with an unexpected exit code, is marked FAIL and the script exits 1. A measurement,
# not a test (timings belong in tools, not in ctest): the regression tests of each row are in
# tests/ (ctest -R 'hostile|address_space|folder_walk|run_completion|million_columns|events').
#
#   bash tools/hostile_inputs.sh [BUILD_DIR]     (default: build)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
for tool in /usr/bin/time python3; do
  command -v "$tool" > /dev/null || { echo "hostile_inputs.sh: needs $tool (apt-get install time python3)" >&2; exit 2; }
done
work=$(mktemp -d)
trap 'chmod -R u+rwx "$work" 2>/dev/null; rm -rf "$work"' EXIT
mnist=("$build/mnist_condgan" --device cpu --classifier none --epochs 1 --max-images 200 --batch-size 50 --threads 1
       --seeds 1 --gen default --dis default --gen-hidden default --dis-hidden default --no-tensorboard)
budget_s=10
budget_kb=$((1536 * 1024))
failures=0
rows=()

# row LABEL EXPECTED_EXIT(S, |-separated) COMMAND...: runs it under GNU time and records a row.
row() {
  local label=$1 expected=$2
  shift 2
  local log=$work/row.log stats=$work/row.stats
  timeout -k 5 120 /usr/bin/time -o "$stats" -f "%e %M" "$@" > "$log" 2>&1
  local rc=$?
  local wall kb
  read -r wall kb < <(tail -n 1 "$stats" 2>/dev/null || echo "? ?")
  local first
  # The line that says what happened: not the start-up lines every run prints.
  first=$(grep -v -E '^(cpu|device|data): |^note: .*(t10k|TensorBoard)' "$log" | grep -m1 -E "[a-z]" | cut -c1-110)
  local verdict=ok
  [[ "|$expected|" == *"|$rc|"* ]] || verdict="FAIL (exit $rc, expected $expected)"
  if [ "$verdict" = ok ] && [ "$rc" != 0 ]; then
    awk -v w="$wall" -v b="$budget_s" 'BEGIN { exit !(w + 0 < b) }' || verdict="FAIL (over ${budget_s} s)"
    [ "${kb:-0}" -lt "$budget_kb" ] 2> /dev/null || verdict="FAIL (over 1.5 GB)"
  fi
  [ "$verdict" = ok ] || failures=$((failures + 1))
  rows+=("$(printf '| %s | %s | %s | %s MB | %s | %s |' "$label" "$rc" "$wall" "$((${kb:-0} / 1024))" "$verdict" "${first//|/\\|}")")
}

echo "hostile_inputs.sh: making the inputs in $work"
python3 "$root/tests/make_hostile_configs.py" "$root/tests/fixtures/reference_mnist_condgan.json" "$work/cfg" || exit 2
for name in deep junk_deep duplicate_key duplicate_experiment dataset_cifar version_99 huge_string; do
  row "config: $name" 1 "${mnist[@]}" --config "$work/cfg/$name.json" --experiment e --out "$work/out_$name" \
    --data "$root/data/mnist"
done

# Row 3: a link loop in an image folder: the walk ends and the 3 images train.
if [ -x "$build/celeba_dcgan" ]; then
  mkdir -p "$work/loop/sub"
  python3 - "$work/loop/a.png" "$work/loop/c.png" "$work/loop/sub/b.png" <<'EOF'
import struct, sys, zlib
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
for i, path in enumerate(sys.argv[1:]):
    rows = b"".join(b"\0" + bytes([40 + 70 * i] * 24) for _ in range(8))
    open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
                           + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
EOF
  ln -s .. "$work/loop/sub/up"
  ln -s .. "$work/loop/sub/up2"
  row "folder: link loops (row 3)" 0 "$build/celeba_dcgan" --dataset folder --data "$work/loop" --device cpu --threads 1 \
    --epochs 1 --batch-size 2 --log-every 0 --no-tensorboard --out "$work/out_loop"
  row "folder: link loops, --strict" 1 "$build/celeba_dcgan" --dataset folder --data "$work/loop" --strict --device cpu \
    --threads 1 --epochs 1 --batch-size 2 --log-every 0 --no-tensorboard --out "$work/out_loop_strict"
fi

# Row 4: a gzip IDX whose header declares 1×65536×65536 and which holds those 2^32 zeros (4 MB).
mkdir -p "$work/idx"
python3 - "$work/idx/t10k-images-idx3-ubyte.gz" <<'EOF'
import gzip, struct, sys
with gzip.open(sys.argv[1], "wb", compresslevel=9) as f:
    f.write(struct.pack(">BBBBIII", 0, 0, 8, 3, 1, 65536, 65536))
    zeros = bytes(1 << 24)
    for _ in range(256):
        f.write(zeros)
EOF
cp "$root/data/mnist/t10k-labels-idx1-ubyte.gz" "$work/idx/"
row "IDX: 1×65536×65536 declared (row 4)" 1 "${mnist[@]}" --data "$work/idx" --out "$work/out_idx"

# Row 5: an address-space limit: trains on fewer threads, or is refused by name; never hangs.
for kib in 1200000 900000; do
  row "ulimit -v $kib (row 5)" "0|1" bash -c 'ulimit -v "$1" && shift && exec "$@"' _ "$kib" "${mnist[@]}" \
    --data "$root/data/mnist" --out "$work/out_ulimit_$kib"
done

# Smaller: fewer images than one batch.
mkdir -p "$work/few"
python3 - "$root/data/mnist" "$work/few" <<'EOF'
import gzip, struct, sys
src, dst = sys.argv[1], sys.argv[2]
img = gzip.open(src + "/t10k-images-idx3-ubyte.gz").read()
lab = gzip.open(src + "/t10k-labels-idx1-ubyte.gz").read()
with gzip.open(dst + "/t10k-images-idx3-ubyte.gz", "wb") as f:
    f.write(struct.pack(">BBBBIII", 0, 0, 8, 3, 5, 28, 28) + img[16:16 + 5 * 784])
with gzip.open(dst + "/t10k-labels-idx1-ubyte.gz", "wb") as f:
    f.write(struct.pack(">BBBBI", 0, 0, 8, 1, 5) + lab[8:13])
EOF
row "MNIST: 5 images, batch 50" 1 "${mnist[@]}" --data "$work/few" --out "$work/out_few"

# Row 7: a metrics.csv of 10^6 columns.
if [ -x "$build/aafgan_report" ]; then
  mkdir -p "$work/wide/exp/output/0"
  echo '{}' > "$work/wide/exp/output/0/config.json"
  python3 -c "import sys; n = 10**6; sys.stdout.write(','.join(['epoch'] + ['c%d' % i for i in range(n)]) + '\n' + ','.join(['1'] + ['0'] * n) + '\n')" \
    > "$work/wide/exp/output/0/metrics.csv"
  row "report: 10^6 columns (row 7)" "1|2|3" "$build/aafgan_report" "$work/wide/exp" --out "$work/wide/out"
fi

# Row 14: random bytes as an event file, and a FIFO.
if [ -x "$build/aafgan_events" ]; then
  head -c 1000000 /dev/urandom > "$work/random.events"
  row "events: 1 MB of random bytes (row 14)" 1 "$build/aafgan_events" "$work/random.events"
  mkfifo "$work/events.fifo"
  row "events: a FIFO" 1 "$build/aafgan_events" "$work/events.fifo"
fi

echo
echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; budget per rejected input: ${budget_s} s, 1.5 GB"
echo
echo "| input | exit | wall s | peak RSS | verdict | first line of the output |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
[ "$failures" -eq 0 ] || { echo "hostile_inputs.sh: $failures row(s) failed"; exit 1; }
