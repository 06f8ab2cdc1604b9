#!/usr/bin/env bash
# Usage: cli_too_few_images.sh TMP_DIR DATA_DIR APP ARGS...
# Issue 22: a data folder of 5 MNIST digits (fewer than one batch) is bad data, exit 1 before
# any run, and the note says how many images the split holds (it said "10,000").
set -uo pipefail
tmp=$1 data=$2
shift 2
rm -rf "$tmp" && mkdir -p "$tmp/five"
python3 - "$data" "$tmp/five" <<'PY'
import gzip, os, struct, sys
src, dst = sys.argv[1], sys.argv[2]
def read(name):
    p = os.path.join(src, name)
    return gzip.open(p + ".gz").read() if os.path.exists(p + ".gz") else open(p, "rb").read()
images, labels, n = read("t10k-images-idx3-ubyte"), read("t10k-labels-idx1-ubyte"), 5
open(os.path.join(dst, "t10k-images-idx3-ubyte"), "wb").write(struct.pack(">IIII", 0x803, n, 28, 28) + images[16:16 + n * 784])
open(os.path.join(dst, "t10k-labels-idx1-ubyte"), "wb").write(struct.pack(">II", 0x801, n) + labels[8:8 + n])
PY
out=$("$@" --data "$tmp/five" --out "$tmp/out" 2>&1)
rc=$?
printf '%s\n' "$out"
[ $rc -eq 1 ] || { echo "FAIL: exit $rc, expected 1 (bad data)"; exit 1; }
grep -q "training on its 5 test images" <<<"$out" || { echo "FAIL: the note does not count the 5 images"; exit 1; }
grep -q "5 training image(s), fewer than one batch of 100" <<<"$out" || { echo "FAIL: no message naming the batch"; exit 1; }
[ ! -e "$tmp/out/experiment_mnist_condgan-mlp_lr001_decay95e31" ] || { echo "FAIL: a run folder was made"; exit 1; }
echo "ok: 5 images, batch 100: exit 1 before any run"
