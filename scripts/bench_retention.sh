#!/usr/bin/env bash
# Benchmark: `clm retention` on simulated subscriptions (monthly, three years, sBG α = 0.7,
# β = 1.2). Wall time and peak memory (max RSS) from GNU time; the fitted pooled α, β are
# printed beside the truth, and the per-customer file is checked to have one row per active
# subscription.
# Usage: scripts/bench_retention.sh [subscriptions] (default 11000000)
# CLM=path/to/clm skips the release build (e.g. to try the script with a debug binary).
set -euo pipefail
cd "$(dirname "$0")/.."
subscriptions=${1:-11000000}
work=${BENCH_DIR:-/tmp/clm-bench-retention}
mkdir -p "$work"
. scripts/bench_common.sh

subs="$work/subs-$subscriptions.csv"
[ -f "$subs" ] ||
  "$CLM" simulate --kind subscriptions --customers "$subscriptions" --days 1095 \
    --churn-alpha 0.7 --churn-beta 1.2 --seed 1 -o "$subs" -q
echo "subscriptions: $subscriptions"

echo "| run | wall | peak RSS |"
echo "|---|---|---|"
measure "clm retention (csv, monthly)" "$CLM" retention "$subs" --as-of 2026-12-31 -q \
  -o "$work/curve.csv" --model-out "$work/sbg.json"
measure "clm retention --customers" "$CLM" retention "$subs" --as-of 2026-12-31 -q \
  --summary -o "$work/summary.csv" --customers "$work/active.csv"
grep -o '"value": [0-9.]*' "$work/sbg.json" | head -2 | tr '\n' ' '
echo "(pooled alpha, beta; truth 0.7, 1.2)"
active=$(awk -F, 'NR > 1 && $3 == ""' "$subs" | wc -l)
rows=$(($(wc -l < "$work/active.csv") - 1))
[ "$rows" -eq "$active" ] || { echo "expected $active active rows, got $rows" >&2; exit 1; }
