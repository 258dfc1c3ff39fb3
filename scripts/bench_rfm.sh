#!/usr/bin/env bash
# Benchmark: `clm rfm` against Python polars and pandas on the same simulated file, CSV and Parquet.
# Wall time and peak memory (max RSS) from GNU time. The polars script does clm rfm's default work
# (measures, 1-5 scores, segments, CSV out); its table is checked against clm's, and clm's tables
# from the CSV and the Parquet file must be the same bytes. (The pandas script computes the
# measures only.)
# Usage: scripts/bench_rfm.sh [customers] (default 4000000: about 11 million rows, 380 MB of CSV)
# CLM=path/to/clm skips the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
customers=${1:-4000000}
work=${BENCH_DIR:-/tmp/clm-bench}
mkdir -p "$work"
. scripts/bench_common.sh
clm=$CLM
python3 -c "import polars, pandas, pyarrow" 2>/dev/null || pip install -q polars pandas pyarrow

[ -f "$work/tx.csv" ] || "$clm" simulate --customers "$customers" --seed 1 -o "$work/tx.csv"
[ -f "$work/tx.parquet" ] || "$clm" simulate --customers "$customers" --seed 1 -o "$work/tx.parquet"
echo "rows: $(($(wc -l < "$work/tx.csv") - 1)); CSV $(du -m "$work/tx.csv" | cut -f1) MB; Parquet $(du -m "$work/tx.parquet" | cut -f1) MB"

echo "| run | wall | peak RSS |"
echo "|---|---|---|"
for ext in csv parquet; do
  measure "clm rfm ($ext)" "$clm" rfm "$work/tx.$ext" -q -o "$work/clm_$ext.csv"
  clm_secs=$secs
  measure "polars script ($ext)" python3 scripts/rfm_polars.py "$work/tx.$ext" "$work/polars_$ext.csv"
  echo "| clm / polars ($ext) | $(python3 -c "print(f'{$clm_secs / $secs:.2f}')") | |"
  measure "pandas script ($ext)" python3 scripts/rfm_pandas.py "$work/tx.$ext" "$work/pandas_$ext.csv"
done
cmp "$work/clm_csv.csv" "$work/clm_parquet.csv"
python3 scripts/compare_rfm.py "$work/clm_csv.csv" "$work/polars_csv.csv"
python3 scripts/compare_rfm.py "$work/clm_parquet.csv" "$work/polars_parquet.csv"
