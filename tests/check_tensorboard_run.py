#!/usr/bin/env python3
"""Reads a training run's TensorBoard event files with the tensorboard package's own loaders and
checks them against the run's metrics.csv and samples_img/ (issue 15):

  check_tensorboard_run.py RUN_DIR --batches B --log-every N [--features TAG=COUNT ...]
                           [--same-as OTHER_RUN_DIR] [--damaged-copies]

- every metrics.csv column is a scalar tag (epoch/<column>, or adaptive/<column> for the G./D.
  parameter statistics) at steps 1..E holding the CSV's value (as float32, TensorBoard's scalar);
- the batch/ scalars sit at every log point (every N batches and each epoch's last batch, step =
  batches trained), and an epoch's last batch/d_loss, batch/g_loss and batch/lr are the CSV's
  d_losses_last, g_losses_last and lr of that epoch;
- each adaptive parameter has a histogram per epoch whose count, mean, min and max are the
  parameter's (the CSV's .mean/.min/.max; COUNT features when given);
- "samples" holds each epoch's sample grid, byte for byte samples_img/<epoch>.png;
- no tag has a step twice across the folder's files (a resumed run's files included);
- --same-as: every value equals the other run's (times and it/s excepted);
- --damaged-copies: copies of the event file cut at many lengths, with garbage appended or a byte
  flipped, each load up to their last whole record.
Exits 1 with one line per problem.
"""
import argparse
import collections
import csv
import glob
import os
import random
import shutil
import struct
import sys
import tempfile

import numpy as np
from tensorboard.backend.event_processing import event_file_loader
from tensorboard.backend.event_processing import plugin_event_accumulator
from tensorboard.util import tensor_util

BATCH_TAGS = ["batch/d_loss", "batch/g_loss", "batch/D(x)", "batch/D(G(z))", "batch/lr", "batch/it_per_s"]
UNTIMED = {"batch/it_per_s", "epoch/times"}  # wall-clock values: differ between any two runs

problems = []


def problem(text):
    problems.append(text)


def event_files(run_dir):
    return sorted(glob.glob(os.path.join(run_dir, "tensorboard", "*tfevents*")))


def raw_events(path):
    """The events as stored (legacy summaries, not migrated), through TensorBoard's loader."""
    return list(event_file_loader.LegacyEventFileLoader(path).Load())


def read_csv(run_dir):
    with open(os.path.join(run_dir, "metrics.csv")) as f:
        rows = list(csv.DictReader(f))
    columns = [c for c in rows[0].keys() if c != "epoch"] if rows else []
    return rows, columns


def tag_of_column(column):
    return ("adaptive/" if column.startswith(("G.", "D.")) else "epoch/") + column


def load_accumulator(run_dir):
    acc = plugin_event_accumulator.EventAccumulator(
        os.path.join(run_dir, "tensorboard"), size_guidance={"tensors": 0, "scalars": 0})
    acc.Reload()
    return acc


def scalar_series(acc):
    """tag -> [(step, value)] of every scalar, as TensorBoard's scalars plugin gets them."""
    out = {}
    for tag in acc.Tags()["tensors"]:
        if acc.SummaryMetadata(tag).plugin_data.plugin_name == "scalars":
            out[tag] = [(e.step, float(tensor_util.make_ndarray(e.tensor_proto))) for e in acc.Tensors(tag)]
    return out


def check_no_duplicates(files):
    seen = collections.Counter()
    for path in files:
        events = raw_events(path)
        if not events or not events[0].HasField("file_version"):
            problem(f"{path}: does not start with a file_version event")
        for e in events:
            for v in e.summary.value:
                seen[(v.tag, e.step)] += 1
    for (tag, step), n in sorted(seen.items()):
        if n > 1:
            problem(f"{tag} step {step} is logged {n} times")
    return seen


def check_scalars(run_dir, acc, rows, columns, batches, log_every):
    scalars = scalar_series(acc)
    epochs = len(rows)
    want_steps = list(range(1, epochs + 1))
    for c in columns:
        tag = tag_of_column(c)
        series = scalars.get(tag)
        if series is None:
            problem(f"metrics.csv column {c}: no scalar tag {tag}")
            continue
        if [s for s, _ in series] != want_steps:
            problem(f"{tag}: steps {[s for s, _ in series]}, expected {want_steps}")
            continue
        for (step, value), row in zip(series, rows):
            want = np.float32(float(row[c]))
            if not (np.float32(value) == want or (np.isnan(want) and np.isnan(value))):
                problem(f"{tag} step {step}: {value!r}, metrics.csv holds {row[c]} ({want!r} as float32)")
    log_points = [e * batches + b for e in range(epochs) for b in range(1, batches + 1)
                  if b % log_every == 0 or b == batches] if log_every > 0 else []
    for tag in BATCH_TAGS:
        series = scalars.get(tag, [])
        if [s for s, _ in series] != log_points:
            problem(f"{tag}: steps {[s for s, _ in series]}, expected the log points {log_points}")
    ends = {(e + 1) * batches: e for e in range(epochs)}
    for tag, column in [("batch/d_loss", "d_losses_last"), ("batch/g_loss", "g_losses_last"), ("batch/lr", "lr")]:
        for step, value in scalars.get(tag, []):
            if step in ends:
                want = np.float32(float(rows[ends[step]][column]))
                if np.float32(value) != want:
                    problem(f"{tag} at the end of epoch {ends[step] + 1}: {value}, metrics.csv {column} {want}")
    return scalars


def check_histograms(run_dir, files, rows, columns, features):
    stats = sorted({c.rsplit(".", 1)[0] for c in columns if c.startswith(("G.", "D."))})
    found = collections.defaultdict(dict)
    for path in files:
        for e in raw_events(path):
            for v in e.summary.value:
                if v.WhichOneof("value") == "histo":
                    found[v.tag][e.step] = v.histo
    expected_tags = {"adaptive/" + s for s in stats}
    if set(found) != expected_tags:
        problem(f"histogram tags {sorted(found)}, expected {sorted(expected_tags)}")
    for s in stats:
        tag = "adaptive/" + s
        by_step = found.get(tag, {})
        if sorted(by_step) != list(range(1, len(rows) + 1)):
            problem(f"{tag}: histogram steps {sorted(by_step)}, expected 1..{len(rows)}")
            continue
        for step, h in sorted(by_step.items()):
            row = rows[step - 1]
            if sum(h.bucket) != h.num or len(h.bucket) != len(h.bucket_limit) or not h.bucket:
                problem(f"{tag} step {step}: {len(h.bucket)} buckets holding {sum(h.bucket)} of {h.num} values")
            if s in features and h.num != features[s]:
                problem(f"{tag} step {step}: {h.num} values, the layer has {features[s]} features")
            if h.min != float(row[s + ".min"]) or h.max != float(row[s + ".max"]):
                problem(f"{tag} step {step}: range [{h.min}, {h.max}], metrics.csv [{row[s + '.min']}, {row[s + '.max']}]")
            mean = float(row[s + ".mean"])
            if abs(h.sum / h.num - mean) > 1e-9 * max(1.0, abs(mean)):
                problem(f"{tag} step {step}: mean {h.sum / h.num}, metrics.csv {mean}")
            if h.bucket_limit[-1] != h.max or list(h.bucket_limit) != sorted(h.bucket_limit):
                problem(f"{tag} step {step}: bucket limits {list(h.bucket_limit)} do not rise to the max {h.max}")


def png_size(data):
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">II", data[16:24])


def check_images(run_dir, acc, epochs):
    if "samples" not in acc.Tags()["tensors"]:
        problem("no 'samples' image tag")
        return
    events = acc.Tensors("samples")
    if [e.step for e in events] != list(range(1, epochs + 1)):
        problem(f"samples: steps {[e.step for e in events]}, expected 1..{epochs}")
    for e in events:
        width, height, png = tensor_util.make_ndarray(e.tensor_proto)
        with open(os.path.join(run_dir, "samples_img", f"{e.step}.png"), "rb") as f:
            on_disk = f.read()
        if png != on_disk:
            problem(f"samples step {e.step}: the image differs from samples_img/{e.step}.png")
        if png_size(png) != (int(width), int(height)):
            problem(f"samples step {e.step}: stated {width}x{height}, the PNG is {png_size(png)}")


def values_of(files):
    out = {}
    for path in files:
        for e in raw_events(path):
            for v in e.summary.value:
                if v.tag not in UNTIMED:
                    out[(v.tag, e.step)] = v.SerializeToString()
    return out


def check_damaged_copies(files):
    rng = random.Random(15)
    path = files[-1]
    with open(path, "rb") as f:
        data = f.read()
    whole = [e.SerializeToString() for e in raw_events(path)]
    tmp = tempfile.mkdtemp(prefix="tb_damaged_")
    try:
        cuts = sorted(set([0, 1, 11, 12, len(data) - 1, len(data) - 4] + [rng.randrange(len(data)) for _ in range(40)]))
        variants = [(f"cut at {n}", data[:n]) for n in cuts]
        variants.append(("garbage appended", data + b"\x05\x00\x00\x00\x00\x00\x00\x00garbage"))
        flipped = bytearray(data)
        flipped[len(data) // 2] ^= 0x40
        variants.append(("a byte flipped", bytes(flipped)))
        for name, content in variants:
            copy = os.path.join(tmp, "events.out.tfevents.copy")
            with open(copy, "wb") as f:
                f.write(content)
            try:
                got = [e.SerializeToString() for e in raw_events(copy)]
            except Exception as ex:  # the loader must not fail on a damaged tail
                problem(f"event file {name}: TensorBoard's loader failed: {ex!r}")
                continue
            if got != whole[:len(got)]:
                problem(f"event file {name}: the loaded events are not the file's first {len(got)}")
            if name == f"cut at {len(data) - 1}" and len(got) != len(whole) - 1:
                problem(f"event file {name}: {len(got)} events loaded, expected all but the last")
        return len(variants)
    finally:
        shutil.rmtree(tmp)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run_dir")
    ap.add_argument("--batches", type=int, required=True, help="batches per epoch")
    ap.add_argument("--log-every", type=int, required=True)
    ap.add_argument("--features", action="append", default=[], help="G.out.BHSA.lambda=784")
    ap.add_argument("--same-as")
    ap.add_argument("--damaged-copies", action="store_true")
    a = ap.parse_args()
    features = {k: float(v) for k, v in (f.split("=") for f in a.features)}
    files = event_files(a.run_dir)
    if not files:
        print(f"{a.run_dir}: no event files in tensorboard/")
        return 1
    rows, columns = read_csv(a.run_dir)
    acc = load_accumulator(a.run_dir)
    seen = check_no_duplicates(files)
    check_scalars(a.run_dir, acc, rows, columns, a.batches, a.log_every)
    check_histograms(a.run_dir, files, rows, columns, features)
    check_images(a.run_dir, acc, len(rows))
    if a.same_as:
        mine, theirs = values_of(files), values_of(event_files(a.same_as))
        if mine.keys() != theirs.keys():
            problem(f"tags/steps differ from {a.same_as}: {sorted(mine.keys() ^ theirs.keys())[:5]} ...")
        for key in sorted(mine.keys() & theirs.keys()):
            if mine[key] != theirs[key]:
                problem(f"{key[0]} step {key[1]} differs from {a.same_as}")
    variants = check_damaged_copies(files) if a.damaged_copies else 0
    for p in problems:
        print(p)
    print(f"{a.run_dir}: {len(files)} event file(s), {len(seen)} (tag, step) values, {len(rows)} epochs"
          + (f", {variants} damaged copies loaded" if variants else "") + f": {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
