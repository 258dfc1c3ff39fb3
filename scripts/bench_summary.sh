#!/usr/bin/env bash
# Benchmark: the transaction path of `clm rfm` and `clm clv` before and after the per-customer
# summary became the centre (issue 16), back to back on the same simulated file, and the summary
# path (`clm summary`, then `--input-kind summary`). Wall time and peak memory (max RSS) from
# GNU time; each run is repeated and alternated between the two binaries; outputs are compared.
# Usage: CLM=new/clm BASE=old/clm scripts/bench_summary.sh [customers] (default 4000000)
# Environment: BENCH_DIR (default /tmp/clm-summary-bench), RUNS (default 3).
set -euo pipefail
cd "$(dirname "$0")/.."
customers=${1:-4000000}
work=${BENCH_DIR:-/tmp/clm-summary-bench}
runs=${RUNS:-3}
clm=${CLM:?CLM=path to the clm to measure}
base=${BASE:?BASE=path to the clm to compare with}
mkdir -p "$work"
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }

[ -f "$work/tx.csv" ] || "$clm" simulate --customers "$customers" --seed 1 -o "$work/tx.csv" -q
echo "rows: $(($(wc -l < "$work/tx.csv") - 1)); CSV $(du -m "$work/tx.csv" | cut -f1) MB"

measure() { # name, command...
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" > /dev/null
  read -r secs kb < "$work/time"
  printf "| %-40s | %6.2f s | %6d MB |\n" "$name" "$secs" "$((kb / 1024))"
}

echo "| run | wall | peak RSS |"
echo "|---|---|---|"
for cmd in rfm clv; do
  for run in $(seq "$runs"); do
    measure "$cmd, before (run $run)" "$base" "$cmd" "$work/tx.csv" -q -o "$work/${cmd}_base.csv"
    measure "$cmd, after (run $run)" "$clm" "$cmd" "$work/tx.csv" -q -o "$work/${cmd}_new.csv"
  done
  cmp "$work/${cmd}_base.csv" "$work/${cmd}_new.csv" && echo "($cmd: same output before and after)"
done
measure "summary (CSV out)" "$clm" summary "$work/tx.csv" -q -o "$work/summary.csv"
measure "summary --horizon 90d (Parquet out)" "$clm" summary "$work/tx.csv" --horizon 90d -q -o "$work/summary.parquet"
for cmd in rfm clv; do
  measure "$cmd --input-kind summary (CSV)" "$clm" "$cmd" "$work/summary.csv" --input-kind summary -q -o "$work/${cmd}_summary.csv"
  cmp "$work/${cmd}_new.csv" "$work/${cmd}_summary.csv" && echo "($cmd: same output from the summary)"
done
