#!/usr/bin/env bash
# Usage: cli_other_idx_set.sh TMP_DIR MNIST_CONDGAN MNIST_CLASSIFIER REFERENCE_CONFIG
# Issue 23 item 5: an IDX set that is not MNIST (here EMNIST-letters-like: 20×20 images, labels
# 1..26) trains with --data DIR: the networks, the sample grid, the cached classifier and
# config.json follow the data; a 10-class classifier or a config stating MNIST's shape is refused.
set -uo pipefail
tmp=$1 app=$2 classifier=$3 reference=$4
rm -rf "$tmp" && mkdir -p "$tmp/letters"
python3 - "$tmp/letters" <<'PY'
import os, random, struct, sys
dst, side, letters = sys.argv[1], 20, 26
random.seed(1)
for split, per_class in (("train", 8), ("t10k", 2)):
    n = per_class * letters
    images, labels = bytearray(), bytearray()
    for i in range(n):
        c = i % letters
        img = bytearray(random.randrange(32) for _ in range(side * side))
        r0, c0 = (c // 5) * 3 + 1, (c % 5) * 4 + 1
        for r in range(r0, r0 + 3):
            for col in range(c0, c0 + 3):
                img[r * side + col] = 255
        images += img
        labels.append(c + 1)
    open(os.path.join(dst, split + "-images-idx3-ubyte"), "wb").write(struct.pack(">IIII", 0x803, n, side, side) + images)
    open(os.path.join(dst, split + "-labels-idx1-ubyte"), "wb").write(struct.pack(">II", 0x801, n) + labels)
PY
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
short=(--device cpu --threads 1 --epochs 1 --batch-size 52 --no-tensorboard --data "$tmp/letters")

out=$(AAFGAN_CACHE_DIR="$tmp/cache" "$app" "${short[@]}" --out "$tmp/out" 2>&1)
rc=$?
printf '%s\n' "$out"
run="$tmp/out/experiment_mnist_condgan-mlp_lr001_decay95e31/output/0"
[ $rc -eq 0 ] || fail "exit $rc, expected 0"
grep -q "208 20×20 images of 26 classes" <<<"$out" || fail "the data line does not name 20×20 images of 26 classes"
grep -q "training the reference MNIST classifier once for these images (20×20 images, 26 classes" <<<"$out" ||
  fail "no classifier trained for the letters"
[ -s "$run/samples_img/1.png" ] || fail "no sample grid"
# 26 columns, 2 rows of 20×20 samples at scale 4, 2 pixels apart: 2134 × 166.
python3 - "$run/samples_img/1.png" <<'PY' || fail "the sample grid is not 26 × 2 samples of 20×20"
import struct, sys
w, h = struct.unpack(">II", open(sys.argv[1], "rb").read()[16:24])
sys.exit(0 if (w, h) == (26 * 80 + 27 * 2, 2 * 80 + 3 * 2) else 1)
PY
[ -s "$run/stats/pre_classifier_accuracies.csv" ] || fail "no classifier accuracy"
python3 - "$run/config.json" <<'PY' || fail "config.json does not record IMG_SIZE 20 and CONDITIONAL_LABELS 26"
import json, sys
c = json.load(open(sys.argv[1]))
sys.exit(0 if c.get("IMG_SIZE") == 20 and c.get("CONDITIONAL_LABELS") == 26 else 1)
PY

# A 10-class MNIST classifier cannot score 26 classes.
"$classifier" --epochs 1 --max-images 64 --threads 1 --log-interval 0 --out "$tmp/mnist.ckpt" >/dev/null 2>&1 ||
  fail "./mnist_classifier did not train"
out=$("$app" "${short[@]}" --out "$tmp/out2" --classifier "$tmp/mnist.ckpt" 2>&1)
rc=$?
[ $rc -eq 1 ] || fail "a 10-class classifier: exit $rc, expected 1"
grep -q "it reads 28×28 images, 10 classes, but .* holds 20×20 images, 26 classes" <<<"$out" ||
  fail "a 10-class classifier: no message naming both shapes: $out"

# The reference config states MNIST's shape, which these files do not have.
out=$("$app" "${short[@]}" --out "$tmp/out3" --classifier none --config "$reference" \
  --experiment condgan_mlp_lr001_decay95e31 2>&1)
rc=$?
[ $rc -eq 1 ] || fail "the reference config: exit $rc, expected 1"
grep -Eq "(IMG_SIZE: 28, but .* takes 20×20|CONDITIONAL_LABELS: 10, but .* 26 classes)" <<<"$out" ||
  fail "the reference config: no message naming the data's shape: $out"

[ $failures -eq 0 ] || exit 1
echo "ok: a 26-class 20×20 IDX set trains, its classifier is its own, MNIST's shape is refused"
