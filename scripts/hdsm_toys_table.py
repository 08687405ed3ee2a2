#!/usr/bin/env python3
"""The table of scripts/hdsm_toys.sh: per config, the ODE's nats/dim on the
same fresh points for each seed, their mean and spread (sample standard
deviation over seeds), the training time per run, and for a high-order config
the paired difference to its first-order twin (toy_X_dsm: same seed, same
points): mean over seeds of the per-seed mean difference, and its spread.
    python3 scripts/hdsm_toys_table.py OUT CONFIG...
"""
import array
import ast
import json
import math
import os
import re
import sys
import zipfile


def read_npz_array(path, name):
    """A float32/float64 1-D array of an npz (standard library only)."""
    with zipfile.ZipFile(path) as z:
        data = z.read(name + ".npy")
    header_len = int.from_bytes(data[8:10], "little")
    header = ast.literal_eval(data[10:10 + header_len].decode())
    kind = {"<f4": "f", "<f8": "d"}[header["descr"]]
    values = array.array(kind)
    values.frombytes(data[10 + header_len:])
    return list(values)


def per_point(run):
    path = f"{run}/nll_points.npz"
    return read_npz_array(path, "nll") if os.path.exists(path) else None


def spread(values):
    if len(values) < 2:
        return float("nan")
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def main():
    out, names = sys.argv[1], sys.argv[2:]
    print("| config | nats/dim per seed | mean ± sd over seeds | − first order (paired), per seed | mean ± sd | train time per run |")
    print("|---|---|---|---|---|---|")
    for name in names:
        values, times = [], []
        seed = 0
        while os.path.isdir(f"{out}/{name}_s{seed}"):
            run = f"{out}/{name}_s{seed}"
            if os.path.exists(f"{run}/nll.json"):
                with open(f"{run}/nll.json") as f:
                    values.append(json.load(f)["mean"])
            if os.path.exists(f"{run}/train_seconds"):
                with open(f"{run}/train_seconds") as f:
                    times.append(float(f.read()))
            seed += 1
        if not values:
            continue
        mean = sum(values) / len(values)
        per_seed = ", ".join(f"{v:.3f}" for v in values)
        time = f"{sum(times) / len(times):.0f} s" if times else "—"
        twin = re.sub(r"_hdsm\d$", "_dsm", name)
        diffs = []
        for seed in range(len(values)):
            a, b = per_point(f"{out}/{name}_s{seed}"), per_point(f"{out}/{twin}_s{seed}")
            if twin != name and a and b and len(a) == len(b):
                diffs.append(sum(x - y for x, y in zip(a, b)) / len(a))
        paired = ", ".join(f"{d:+.3f}" for d in diffs) if diffs else "—"
        paired_mean = f"{sum(diffs) / len(diffs):+.3f} ± {spread(diffs):.3f}" if diffs else "—"
        print(f"| {name} | {per_seed} | {mean:.3f} ± {spread(values):.3f} | {paired} | {paired_mean} | {time} |")


if __name__ == "__main__":
    main()
