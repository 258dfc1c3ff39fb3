#!/usr/bin/env bash
# Benchmark: `clm loyalty` on a simulated file with a matching survey (target: 4M customers and
# 1M survey answers in under 10 s with a release build). Wall time and peak memory (max RSS)
# from GNU time; the per-customer output is checked to have one row per customer.
# Usage: scripts/bench_loyalty.sh [customers] [response rate] (default 4000000 0.25: ~1M answers)
# CLM=path/to/clm skips the release build (e.g. to try the script with a debug binary).
set -euo pipefail
cd "$(dirname "$0")/.."
customers=${1:-4000000}
response_rate=${2:-0.25}
work=${BENCH_DIR:-/tmp/clm-bench-loyalty}
mkdir -p "$work"
. scripts/bench_common.sh

tx="$work/tx-$customers.parquet"
survey="$work/survey-$customers.csv"
[ -f "$tx" ] && [ -f "$survey" ] ||
  "$CLM" simulate --customers "$customers" --seed 1 -o "$tx" --survey "$survey" \
    --survey-response-rate "$response_rate" -q
echo "customers: $customers; survey answers: $(($(wc -l < "$survey") - 1))"

echo "| run | wall | peak RSS |"
echo "|---|---|---|"
measure "clm loyalty (parquet + csv survey)" "$CLM" loyalty "$tx" --survey "$survey" -q -o "$work/loyalty.csv"
measure "clm loyalty --split median" "$CLM" loyalty "$tx" --survey "$survey" --split median -q -o "$work/loyalty-median.csv"
rows=$(($(wc -l < "$work/loyalty.csv") - 1))
[ "$rows" -eq "$customers" ] || { echo "expected $customers rows, got $rows" >&2; exit 1; }
