#!/usr/bin/env bash
# The sampler comparison of docs/results.md with the exact oracle: every
# sampler × NFE on the oracle configs, `hold-sample --metrics` each time, one
# markdown table per config (worst mode's pooled std error / worst weight
# error / energy distance to fresh data). Deterministic (the configs' seed);
# finished runs are kept, so an interrupted sweep continues.
#   scripts/oracle_table.sh [OUT_DIR]        (default runs/oracle_table)
# Environment: N (samples per run, default 20000), NFES, CONFIGS.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/find_tool.sh
source "$(dirname "$0")/find_tool.sh"
out=${1:-runs/oracle_table}
n=${N:-20000}
sample=$(find_tool hold-sample)
configs=${CONFIGS:-"oracle_gmm2d_vp oracle_gmm2d_cld oracle_gmm2d_hold oracle_gmm16d_hold"}
nfes=${NFES:-"10 15 20 30 50 100"}
mkdir -p "$out"
for cfg in $configs; do
  samplers="em lt ei ei-l ei-r"
  grep -q '^  name: \(vp\|ve\|subvp\)$' "configs/$cfg.yaml" && samplers="em ei ei-l ei-r dpmpp2m edm"
  for s in $samplers; do
    flags=(--sampler "${s%%-*}")
    [ "$s" != "${s#*-}" ] && flags+=(--frame "${s#*-}")
    for nfe in $nfes; do
      dir="$out/$cfg/${s}_$nfe"
      [ -f "$dir/metrics.json" ] && continue
      echo "$cfg $s $nfe" >&2
      "$sample" --config "configs/$cfg.yaml" "${flags[@]}" --nfe "$nfe" --n "$n" --metrics --out "$dir" \
        > /dev/null || echo "failed: $cfg $s $nfe" >&2
    done
  done
done
python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
for cfg in sorted(os.listdir(out)):
    rows, nfes = {}, set()
    for run in os.listdir(os.path.join(out, cfg)):
        path = os.path.join(out, cfg, run, "metrics.json")
        if not os.path.exists(path):
            continue
        name, nfe = run.rsplit("_", 1)
        m = json.load(open(path))
        nfes.add(int(nfe))
        if m["finite"] < m["n"]:
            cell = "%d non-finite" % (m["n"] - m["finite"])
        elif abs(m["worst_std_error"]) > 10:
            cell = "diverges (std ×%.0e)" % (1 + m["worst_std_error"])
        else:
            cell = "%+.1f %% / %.3f / %.1e" % (100 * m["worst_std_error"], m["worst_weight_error"], m["energy_distance"])
        label = name.replace("-", " --frame ")
        rows.setdefault(label, {})[int(nfe)] = cell
    cols = sorted(nfes)
    print("\n%s: worst mode's std error / worst weight error / energy distance\n" % cfg)
    print("| sampler | " + " | ".join("%d NFE" % c for c in cols) + " |")
    print("|---|" + "---|" * len(cols))
    for label in sorted(rows):
        print("| %s | " % label + " | ".join(rows[label].get(c, "") for c in cols) + " |")
PY
