#!/usr/bin/env bash
# Benchmark: `clm churn` (back-test, training and scoring included) on the 4-million-customer,
# 11-million-row simulated file (target: under 30 s and 4 GB on the 2-core machine).
# Wall time and peak memory (max RSS) from GNU time; the output is checked to have one row per
# customer scored.
# Usage: scripts/bench_churn.sh [customers] (default 4000000); CLM=path/to/clm skips the build.
set -euo pipefail
cd "$(dirname "$0")/.."
customers=${1:-4000000}
work=${BENCH_DIR:-/tmp/clm-bench}
mkdir -p "$work"
. scripts/bench_common.sh
tx="$work/tx.csv"
[ -f "$tx" ] || "$CLM" simulate --customers "$customers" --seed 1 -o "$tx" -q
echo "rows: $(($(wc -l < "$tx") - 1))"

echo "| run | wall | peak RSS |"
echo "|---|---|---|"
measure "clm churn (csv)" "$CLM" churn "$tx" --horizon 90 -o "$work/churn.csv"
measure "clm churn --backtest (csv)" "$CLM" churn "$tx" --horizon 90 --backtest -q -o "$work/backtest.csv"
echo "rows written: $(($(wc -l < "$work/churn.csv") - 1))"
cat "$work/backtest.csv"
