#!/usr/bin/env python3
"""The table of scripts/hdsm_toys.sh: per config, the ODE's nats/dim on the
same fresh points for each seed, their mean and spread (sample standard
deviation over seeds), and the training time per run.
    python3 scripts/hdsm_toys_table.py OUT CONFIG...
"""
import json
import math
import os
import sys


def main():
    out, names = sys.argv[1], sys.argv[2:]
    print("| config | nats/dim per seed | mean ± sd over seeds | train time per run |")
    print("|---|---|---|---|")
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
        sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else float("nan")
        per_seed = ", ".join(f"{v:.3f}" for v in values)
        time = f"{sum(times) / len(times):.0f} s" if times else "—"
        print(f"| {name} | {per_seed} | {mean:.3f} ± {sd:.3f} | {time} |")


if __name__ == "__main__":
    main()
