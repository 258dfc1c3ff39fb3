#!/usr/bin/env bash
# Benchmark: the whole `clm clv` run (read, statistics, fit, predict, write) against Python
# `lifetimes` 0.11.3 (summary_data_from_transaction_data + BetaGeoFitter + GammaGammaFitter +
# predictions, scripts/clv_lifetimes.py) on the same simulated file, in the same run.
# Wall time and peak memory (max RSS) from GNU time; the fitted BG/NBD and Gamma-Gamma parameters
# of both are printed side by side.
# Usage: scripts/bench_clv.sh [customers] (default 1000000)
# Environment: CLM_BIN=path/to/clm (skip the build), BENCH_DIR (default /tmp/clv-bench),
#   LIFETIMES_VENV (default /tmp/lifetimes-venv, made with pinned versions when missing),
#   CLM_RUNS (timed clm runs, default 3; the median is used for the ratio).
set -euo pipefail
cd "$(dirname "$0")/.."
customers=${1:-1000000}
work=${BENCH_DIR:-/tmp/clv-bench}
venv=${LIFETIMES_VENV:-/tmp/lifetimes-venv}
runs=${CLM_RUNS:-3}
mkdir -p "$work"

if [ -n "${CLM_BIN:-}" ]; then
  clm=$CLM_BIN
else
  cargo build --release --quiet
  clm=${CARGO_TARGET_DIR:-target}/release/clm
fi
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }

# lifetimes 0.11.3 (2020) breaks on pandas 2, numpy >= 1.25 and scipy >= 1.11; these pins work on
# Python 3.11 (checked against the published CDNOW BG/NBD fit: r 0.243, alpha 4.414, a 0.793, b 2.426).
py=$venv/bin/python
if ! "$py" -c "import lifetimes" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "numpy<1.25" "pandas<2" "scipy<1.11" lifetimes==0.11.3
fi

tx=$work/clv_tx.csv
if [ ! -f "$tx" ] || [ "$(cat "$work/clv_tx.customers" 2>/dev/null)" != "$customers" ]; then
  "$clm" simulate --customers "$customers" --seed 1 -o "$tx" 2> "$work/simulate.stderr"
  echo "$customers" > "$work/clv_tx.customers"
fi
echo "customers: $customers; rows: $(($(wc -l < "$tx") - 1)); CSV $(du -m "$tx" | cut -f1) MB"
echo "simulated with: $(tr '\n' ' ' < "$work/simulate.stderr")"
echo

measure() { # label, command... ; appends "label secs kb" to $work/times
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" > /dev/null 2> "$work/last.stderr"
  read -r secs kb < "$work/time"
  echo "$label $secs $kb" >> "$work/times"
}
: > "$work/times"
for i in $(seq 1 "$runs"); do
  CLM_TIMINGS=1 measure "clm$i" "$clm" clv "$tx" --time-unit week -q -o "$work/clv_out.csv"
  grep '^timing:' "$work/last.stderr" > "$work/clm$i.timings" || true
done
# Once more with --model-out for the parameter comparison (not in the table).
"$clm" clv "$tx" --time-unit week -q -o "$work/clv_out.csv" --model-out "$work/model.json"
measure lifetimes "$py" scripts/clv_lifetimes.py "$tx" "$work/lifetimes_out.csv" "$work/lifetimes_params.json"
cp "$work/last.stderr" "$work/lifetimes.stderr"

# Fit alone, from outside: `clm clv` has no timing output, so time the summary path on the distinct
# (x, t_x, T) histories with their counts: process start + reading them + BG/NBD fit + their
# predictions, an upper bound on the BG/NBD fit (no Gamma-Gamma there).
"$py" - "$work/clv_out.csv" "$work/clv_histories.csv" <<'EOF'
import sys, pandas as pd
out = pd.read_csv(sys.argv[1], usecols=["x", "t_x", "T"])
h = out.groupby(["x", "t_x", "T"]).size().rename("weights").reset_index()
h.to_csv(sys.argv[2], index=False, float_format="%.10g")
print(f"distinct (x, t_x, T) histories: {len(h)} of {len(out)} customers", file=sys.stderr)
EOF
for i in $(seq 1 "$runs"); do
  measure "summary$i" "$clm" clv "$work/clv_histories.csv" --input-kind summary --time-unit week -q -o "$work/clv_histories_out.csv"
done

"$py" - "$work/times" "$work/model.json" "$work/lifetimes_params.json" "$work/lifetimes.stderr" <<'EOF'
import json, statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
t = {label: (float(s), int(kb) / 1024) for label, s, kb in rows}
clm = sorted(v for k, v in t.items() if k.startswith("clm"))
summ = sorted(v for k, v in t.items() if k.startswith("summary"))
med = clm[len(clm) // 2]
lt = t["lifetimes"]
print("| run | wall | peak RSS | lifetimes / this |")
print("|---|---|---|---|")
print(f"| clm clv (median of {len(clm)}: {', '.join(f'{s:.2f}' for s, _ in clm)} s) | {med[0]:.2f} s | {med[1]:.0f} MB | {lt[0] / med[0]:.1f}x |")
print(f"| lifetimes 0.11.3 script | {lt[0]:.2f} s | {lt[1]:.0f} MB | 1x |")
print(f"| clm clv --input-kind summary on the distinct histories (fit upper bound; runs {', '.join(f'{s:.3f}' for s, _ in summ)} s) | {summ[len(summ) // 2][0]:.3f} s | {summ[len(summ) // 2][1]:.0f} MB | |")
print()
# Phases of the clm runs (CLM_TIMINGS=1): "timing: clv/<phase> <s> s (total ...)"; the fit phases
# are the fit-alone figures (BG/NBD on the distinct histories with standard errors; Gamma-Gamma).
import glob, re
phases = {}
for path in sorted(glob.glob(sys.argv[1].rsplit("/", 1)[0] + "/clm*.timings")):
    for line in open(path):
        m = re.match(r"timing: (.+?) ([\d.]+) s", line)
        if m:
            phases.setdefault(m.group(1), []).append(1000 * float(m.group(2)))
if phases:
    print("| clm phase | median ms | runs (ms) |")
    print("|---|---|---|")
    for name, values in phases.items():
        print(f"| {name} | {statistics.median(values):.1f} | {', '.join(f'{v:.1f}' for v in values)} |")
    print()
print("lifetimes phases: " + "; ".join(
    l.strip().removeprefix("lifetimes ") for l in open(sys.argv[4]) if not l.startswith("lifetimes params")))
print()
model = json.load(open(sys.argv[2]))
life = json.load(open(sys.argv[3]))
def saved(fit):  # the --model-out layout: {"params": [{"name", "value", "std_error"}], ...}
    return {p["name"]: p["value"] for p in (fit or {}).get("params", [])}
print("| parameter | clm | lifetimes | relative difference |")
print("|---|---|---|---|")
for group, names in (("bgnbd", ["r", "alpha", "a", "b"]), ("gamma_gamma", ["p", "q", "gamma"])):
    ours = saved(model["fit"] if group == "bgnbd" else model.get("gamma_gamma"))
    theirs = dict(life[group])
    if "gamma" not in theirs and "v" in theirs:
        theirs["gamma"] = theirs["v"]  # lifetimes calls Gamma-Gamma's scale v
    for n in names:
        a, b = ours.get(n), theirs.get(n)
        diff = f"{abs(a - b) / abs(b):.1e}" if a is not None and b else "n/a"
        fa = f"{a:.6g}" if a is not None else "not found"
        print(f"| {group} {n} | {fa} | {b:.6g} | {diff} |")
ll = model["fit"]["log_likelihood"]
print(f"| BG/NBD log-likelihood (weeks) | {ll:.6g} | {life['bgnbd_log_likelihood']:.6g} | {abs(ll - life['bgnbd_log_likelihood']) / abs(ll):.1e} |")
print(f"\nclm BG/NBD fit: {model['fit']['iterations']} iterations, converged {model['fit']['converged']}, "
      f"{model['fit']['customers']:.0f} customers; lifetimes: {life['customers']} customers, {life['repeat_buyers']} repeat buyers in Gamma-Gamma")
EOF
