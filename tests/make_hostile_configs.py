#!/usr/bin/env python3
"""Writes the hostile configs of issue 22 into OUT_DIR, each a valid reference experiment
("e", from REFERENCE.json's first experiment) with one thing wrong, generated here rather than
committed: the deep and huge ones are megabytes.

Usage: make_hostile_configs.py REFERENCE.json OUT_DIR
"""
import json
import os
import sys


def main():
    reference, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    with open(reference) as f:
        base = next(iter(json.load(f).values()))
    body = json.dumps(base)[1:-1]  # the experiment's keys, to add one more by hand

    def write(name, text):
        with open(os.path.join(out, name), "w") as f:
            f.write(text)

    def experiment(extra):
        return '{"e": {' + body + ", " + extra + "}}"

    levels = 100000
    # Row 1: 100,000 levels overflowed the stack while the error message dumped the value.
    write("deep.json", '{"e":' + "[" * levels + "]" * levels + "}")
    # Row 2: the same under an unknown key of a valid experiment, copied into config.json.
    write("junk_deep.json", experiment('"JUNK": ' + "[" * levels + "]" * levels))
    # ... and one the limits let through (40 levels, 4,000 lists): ignored, and not recorded.
    write("junk_wide.json", experiment('"JUNK": [' + ",".join(["[" * 40 + "]" * 40] * 4000) + "]"))
    # Row 10: nlohmann keeps the last of a repeated key.
    write("duplicate_key.json", experiment('"BATCH_SIZE": 100, "BATCH_SIZE": 7'))
    write("duplicate_experiment.json", '{"e": {' + body + '}, "e": {' + body + "}}")
    # Row 11: values of known keys this app does not support.
    write("dataset_cifar.json", json.dumps({"e": dict(base, DATASET="CIFAR")}))
    write("version_99.json", json.dumps({"e": dict(base, VERSION="99")}))
    # Row 13: a NUL cut the path at "a" (creating it) and failed the run, not the config.
    write("nul_dir.json", json.dumps({"e": dict(base, EXPERIMENT_DIR="a\u0000b")}))
    # The smaller one: a 100 MB string cost 1.5 GB; 5 MiB is over the limit already.
    write("huge_string.json", json.dumps({"e": dict(base, JUNK="x" * (5 << 20))}))


if __name__ == "__main__":
    main()
