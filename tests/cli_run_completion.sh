#!/usr/bin/env bash
# Usage: cli_run_completion.sh OUT_DIR APP ARGS...   (ARGS: a tiny CPU run without --epochs/--out)
# Issue 22 rows 8 and 9: a run is complete by what its folder holds, not by config.json existing.
# - a complete 1-epoch run asked for 3 epochs continues from its checkpoint, and ends where a
#   straight 3-epoch run ends (metrics.csv equal but for the times);
# - an empty or garbage config.json in a run of 1 of 2 epochs: the run resumes and completes;
#   beside a checkpoint of all the epochs asked: config.json is written again;
# - a run whose checkpoint was deleted beside its metrics starts from scratch and says why.
set -uo pipefail
out=$1
app=$2
shift 2
rm -rf "$out"
run_dir="experiment_mnist_condgan-mlp_lr001_decay95e31/output/0"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
train() {  # folder epochs -> output in $log
  log=$("$app" "$@" 2>&1 | tail -n 8)
}
expect() {  # what regex
  if grep -Eq -- "$2" <<<"$log"; then echo "ok: $1"; else fail "$1: no /$2/ in:"; echo "$log"; fi
}
epochs_in() { echo $(($(wc -l <"$1/$run_dir/metrics.csv") - 1)); }
# metrics.csv without the columns that hold times.
untimed() {
  python3 - "$1" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
for r in rows:
    print({k: v for k, v in r.items() if "time" not in k and "second" not in k})
EOF
}

# Row 8: more epochs than a complete run has.
train "${@}" --epochs 1 --out "$out/more"
train "${@}" --epochs 3 --out "$out/more"
expect "a complete 1-epoch run asked for 3 continues" "complete with 1 epoch\(s\), 3 asked: continuing from its checkpoint"
expect "... and completes" "\] completed \("
[ "$(epochs_in "$out/more")" = 3 ] || fail "metrics.csv holds $(epochs_in "$out/more") epochs, not 3"
train "${@}" --epochs 3 --out "$out/straight"
if [ "$(untimed "$out/more/$run_dir/metrics.csv")" = "$(untimed "$out/straight/$run_dir/metrics.csv")" ]; then
  echo "ok: continued to 3 epochs = trained 3 epochs straight (metrics.csv but the times)"
else
  fail "the continued run's metrics.csv differs from a straight 3-epoch run's"
fi
train "${@}" --epochs 2 --out "$out/more"
expect "a run of 3 epochs asked for 2 is complete" "already complete"

# Row 9: a damaged completion marker.
# deep: JSON nested 100,000 levels, which the marker's reader refuses at its 67th (it overflowed
# the stack of any reader that dumps or copies it).
for damage in empty garbage deep; do
  train "${@}" --epochs 1 --out "$out/$damage"
  case $damage in
    empty) : >"$out/$damage/$run_dir/config.json" ;;
    garbage) printf '\x00\x17garbage{' >"$out/$damage/$run_dir/config.json" ;;
    deep) python3 -c "print('{\"e\":' + '[' * 100000 + ']' * 100000 + '}')" >"$out/$damage/$run_dir/config.json" ;;
  esac
  train "${@}" --epochs 2 --out "$out/$damage"
  expect "a $damage config.json in a run of 1 of 2 epochs: resumed" "config.json is unreadable \(.*\) and the run holds 1 of 2 epoch\(s\): resuming"
  [ "$(epochs_in "$out/$damage")" = 2 ] || fail "$damage: metrics.csv holds $(epochs_in "$out/$damage") epochs, not 2"
  python3 -c "import json, sys; assert json.load(open(sys.argv[1]))['completed_epochs'] == 2" \
    "$out/$damage/$run_dir/config.json" || fail "$damage: config.json is not the 2-epoch run's"
done
: >"$out/empty/$run_dir/config.json"
train "${@}" --epochs 2 --out "$out/empty"
expect "an empty config.json beside a checkpoint of every epoch is written again" \
  "config.json is unreadable \(it is empty\); the checkpoint holds all 2 epoch\(s\): written again"
python3 -c "import json, sys; assert json.load(open(sys.argv[1]))['completed_epochs'] == 2" \
  "$out/empty/$run_dir/config.json" || fail "the repaired config.json does not say 2 epochs"

# A deleted checkpoint beside the metrics: from scratch, saying why.
train "${@}" --epochs 1 --out "$out/nockpt"
rm "$out/nockpt/$run_dir/config.json" "$out/nockpt/$run_dir/model_checkpoints/last.ckpt"
train "${@}" --epochs 1 --out "$out/nockpt"
expect "a deleted checkpoint beside metrics.csv: from scratch, saying why" \
  "metrics.csv holds 1 epoch\(s\) but it has no checkpoint: starting from scratch"

[ $failures -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "run completion: all passed"
