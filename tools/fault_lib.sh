# Shared by tools/fault_inject.sh and tools/full_disk.sh (sourced, not run): the tiny training
# run both interrupt, and the checks of its folder against an uninterrupted run.

# 3 epochs of 12 batches on 600 digits, one thread (CPU training is bit-deterministic then):
# about 2 s. BHSA and --freeze-epoch 2 put adaptive parameters and a freeze into the state a
# resume must restore; --parzen adds an epoch metric, so kills also land in the metrics that run
# after the epoch's checkpoint and are redone on resume.
fault_args() {  # DATA_DIR OUT_DIR
  printf '%s\n' --device cpu --classifier none --epochs 3 --max-images 600 --batch-size 50 --threads 1 --seed 7 \
    --gen BHSA --freeze-epoch 2 --parzen --log-every 0 --data "$1" --out "$2"
}
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive

# ./aafgan_events beside the app (tools/fault_inject.sh and full_disk.sh set APP).
events_tool() { "$(dirname "$APP")/aafgan_events" "$@"; }
# A run's TensorBoard values, without what differs between any two runs (wall times, it/s, epoch
# times) and without the file boundaries (a start that logged nothing before it was killed may
# leave a file of its own).
event_values() {
  events_tool --skip-tag batch/it_per_s --skip-tag epoch/times "$1" 2>&1 | grep -v '^# file'
}

# The run folder under an --out folder (the one that holds the run lock), or nothing yet.
run_dir() { find "$1" -name .lock -printf '%h\n' 2>/dev/null | head -n 1; }

# Temporaries of the durable writer ("<name>.tmp.<pid>.<n>") or of an older "<name>.tmp" one.
temps_in() { find "$1" -type f \( -name '*.tmp.*' -o -name '*.tmp' \) 2>/dev/null; }

# A checkpoint's digest without what legitimately differs between runs: the epoch times in its
# metadata, and the position of the event file (named by its start time and process). Layout (engine/checkpoint.cpp): 32-byte header, u64 metadata length at byte 24, the
# metadata JSON, the tensors, a 12-byte trailer (length and CRC, which cover the times too).
ckpt_digest() {
  local f=$1 size len
  size=$(stat -c %s "$f")
  len=$(od -An -t u8 -j 24 -N 8 "$f" | tr -d ' ')
  {
    tail -c +33 "$f" | head -c "$len" | sed -E 's/"times":\[[^]]*\]//; s/"seconds":[^,}]*//; s/"tensorboard":\{[^}]*\}//'
    tail -c +$((33 + len)) "$f" | head -c $((size - 32 - len - 12))
  } | sha256sum | cut -d' ' -f1
}

# metrics.csv without its wall-clock "times" column.
metrics_without_times() {
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "times") skip = i }
           { line = ""; for (i = 1; i <= NF; i++) if (i != skip) line = line (line == "" ? "" : ",") $i; print line }' "$1"
}

# Every output in folder $1 is whole: none empty, CSVs end with a newline, PNGs with their IEND
# chunk, a checkpoint is as long as its header says. Prints one line per bad file.
check_whole() {
  local f size
  while IFS= read -r f; do
    case $f in */.lock | *.tmp | *.tmp.*) continue ;; esac  # the lock is informative; temps are checked apart
    size=$(stat -c %s "$f")
    if [ "$size" -eq 0 ]; then echo "empty: $f"; continue; fi
    case $f in
      # Append-only logs: a full disk may cut their last record, which readers skip and the
      # resume cuts away; they must still read.
      *tfevents*) events_tool "$f" >/dev/null 2>&1 || echo "event file TensorBoard cannot read: $f" ;;
      *.csv | *.json | *.txt) [ -z "$(tail -c 1 "$f")" ] || echo "no final newline (torn?): $f" ;;
      *.png) [ "$(tail -c 8 "$f" | od -An -tx1 | tr -d ' \n')" = 49454e44ae426082 ] || echo "PNG without IEND: $f" ;;
      *.ckpt) [ "$(od -An -t u8 -j 16 -N 8 "$f" | tr -d ' ')" = "$size" ] || echo "checkpoint of the wrong length: $f" ;;
    esac
  done < <(find "$1" -type f)
}

# Differences of run folder $2 from the reference run folder $1, one line each; nothing if equal.
# Everything must be byte-identical except the wall-clock epoch times (stats/times.csv only has
# to hold as many values).
compare_runs() {
  local ref=$1 run=$2 f
  # Event files are named by their start time and process: compared by content below.
  diff <(cd "$ref" && find . -type f ! -name .lock ! -path './tensorboard/*' | sort) \
    <(cd "$run" && find . -type f ! -name .lock ! -path './tensorboard/*' | sort) |
    sed -n 's/^< /missing: /p; s/^> /extra: /p'
  if [ -d "$ref/tensorboard" ] || [ -d "$run/tensorboard" ]; then
    cmp -s <(event_values "$ref/tensorboard") <(event_values "$run/tensorboard") ||
      echo "differs: tensorboard/ ($(diff <(event_values "$ref/tensorboard") <(event_values "$run/tensorboard") | grep -c '^[<>]') lines)"
  fi
  while IFS= read -r f; do
    [ -f "$run/$f" ] || continue
    case $f in
      ./stats/times.csv)
        [ "$(tr ',' '\n' <"$ref/$f" | wc -l)" = "$(tr ',' '\n' <"$run/$f" | wc -l)" ] || echo "differs: $f (count)" ;;
      ./metrics.csv) cmp -s <(metrics_without_times "$ref/$f") <(metrics_without_times "$run/$f") || echo "differs: $f" ;;
      *.ckpt) [ "$(ckpt_digest "$ref/$f")" = "$(ckpt_digest "$run/$f")" ] || echo "differs: $f" ;;
      *) cmp -s "$ref/$f" "$run/$f" || echo "differs: $f" ;;
    esac
  done < <(cd "$ref" && find . -type f ! -name .lock ! -path './tensorboard/*' | sort)
}
