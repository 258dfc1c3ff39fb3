#!/usr/bin/env bash
# Benchmark of the per-customer summary (issue 16): the summary path (`clm summary`, then
# `clm rfm` / `clm clv --input-kind summary` on it, from CSV and from Parquet; target: clv on 10M
# customers' summaries in under 5 s, release build) and, with BASE, the transaction path of
# `clm rfm` and `clm clv` before and after, back to back on the same simulated file. Wall time
# and peak memory (max RSS) from GNU time; runs are repeated (and alternated between the two
# binaries); every output from a summary is compared with the output from the transactions.
# Usage: CLM=target/release/clm [BASE=old/clm] scripts/bench_summary.sh [customers]
#   (default 4000000; the issue's target: CLM=target/release/clm scripts/bench_summary.sh 10000000)
# Environment: BENCH_DIR (default /tmp/clm-summary-bench), RUNS (default 3).
set -euo pipefail
cd "$(dirname "$0")/.."
customers=${1:-4000000}
work=${BENCH_DIR:-/tmp/clm-summary-bench}
runs=${RUNS:-3}
clm=${CLM:?CLM=path to the clm to measure}
base=${BASE:-}
mkdir -p "$work"
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }

tx="$work/tx_$customers.csv"
[ -f "$tx" ] || "$clm" simulate --customers "$customers" --seed 1 -o "$tx" -q
echo "customers: $customers; rows: $(($(wc -l < "$tx") - 1)); CSV $(du -m "$tx" | cut -f1) MB"

measure() { # name, command...
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" > /dev/null
  read -r secs kb < "$work/time"
  printf "| %-48s | %6.2f s | %6d MB |\n" "$name" "$secs" "$((kb / 1024))"
}

same() { # what, file, file
  if cmp -s "$2" "$3"; then echo "($1: same output)"; else echo "($1: OUTPUTS DIFFER)"; fi
}

echo "| run | wall | peak RSS |"
echo "|---|---|---|"
for cmd in rfm clv; do
  if [ -n "$base" ]; then
    for run in $(seq "$runs"); do
      measure "$cmd, before (run $run)" "$base" "$cmd" "$tx" -q -o "$work/${cmd}_base.csv"
      measure "$cmd, after (run $run)" "$clm" "$cmd" "$tx" -q -o "$work/${cmd}_new.csv"
    done
    same "$cmd before and after" "$work/${cmd}_base.csv" "$work/${cmd}_new.csv"
  else
    measure "$cmd on the transactions" "$clm" "$cmd" "$tx" -q -o "$work/${cmd}_new.csv"
  fi
done
measure "summary (CSV out)" "$clm" summary "$tx" -q -o "$work/summary.csv"
measure "summary (Parquet out)" "$clm" summary "$tx" -q -o "$work/summary.parquet"
echo "summary: CSV $(du -m "$work/summary.csv" | cut -f1) MB, Parquet $(du -m "$work/summary.parquet" | cut -f1) MB"
for cmd in clv rfm; do
  for format in csv parquet; do
    for run in $(seq "$runs"); do
      measure "$cmd --input-kind summary ($format, run $run)" \
        "$clm" "$cmd" "$work/summary.$format" --input-kind summary -q -o "$work/${cmd}_summary.csv"
    done
    same "$cmd from the $format summary and from the transactions" \
      "$work/${cmd}_new.csv" "$work/${cmd}_summary.csv"
  done
done
# Where the time goes in one run of the target (phases on stderr).
CLM_TIMINGS=1 "$clm" clv "$work/summary.csv" --input-kind summary -q -o /dev/null 2>&1 |
  grep '^timing:' | sed 's/^/    /'
