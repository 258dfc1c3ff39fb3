#!/usr/bin/env bash
# Streaming past RAM (issue 16, part 4): `clm rfm` and `clm clv` with --memory-limit on a
# simulated CSV of about 100 million rows (2.9 million customers, ~34 rows each), against
# DuckDB running the SQL of `clm sql rfm --dialect duckdb` on the same file (the same group-by,
# written as the per-customer summary). Checks that clm's streamed rfm output equals clm's rfm
# read from DuckDB's summary (--input-kind summary).
#
# Usage: scripts/bench_stream.sh [CUSTOMERS] [LIMIT]      (defaults: 2900000, 2G)
#   CLM=path/to/clm     the binary (default: a release build, see bench_common.sh)
#   PYTHON=...          a python with the duckdb package (default: a venv of its own in
#                       ${TMPDIR:-/tmp}/clm-checks-venv, as scripts/ci_checks.sh makes)
#   DATA=file.csv       an existing transaction log to use instead of the simulated one
#   BENCH_DIR=...       where the CSV is made once and kept (default ${TMPDIR:-/tmp}/clm-bench-stream;
#                       the 100M-row file takes about 2.7 GB, and the streamed run as much again
#                       in temporary files under TMPDIR)
# Prints the file's rows, customers and size, then markdown rows "| name | wall | peak RSS |".
# Run it on an idle machine: the default size takes minutes and gigabytes.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source scripts/bench_common.sh
customers=${1:-2900000}
limit=${2:-2G}

venv="${CLM_CHECKS_VENV:-${TMPDIR:-/tmp}/clm-checks-venv}"
if [ -z "${PYTHON:-}" ]; then
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -c 'import duckdb' 2>/dev/null ||
    "$venv/bin/pip" install --quiet --disable-pip-version-check duckdb
  PYTHON="$venv/bin/python"
fi

# The log, made once: BG/NBD rates high enough (r/alpha = 0.6 purchases a week) and dropout
# low enough (Beta(0.5, 25)) for about 34 rows per customer.
dir=${BENCH_DIR:-${TMPDIR:-/tmp}/clm-bench-stream}
mkdir -p "$dir"
data=${DATA:-$dir/tx_$customers.csv}
if [ ! -s "$data" ]; then
  "$CLM" -q simulate --customers "$customers" --r 3 --alpha 5 --a 0.5 --b 25 --seed 16 \
    -o "$dir/partial.csv"
  mv "$dir/partial.csv" "$data"
fi
rows=$(($(wc -l < "$data") - 1))
echo "$data: $rows rows, $(du -m "$data" | cut -f1) MB"

cat > "$work/run_duckdb.py" <<'PY'
import sys, duckdb
sql, csv, out = open(sys.argv[1]).read().rstrip().rstrip(";"), sys.argv[2], sys.argv[3]
con = duckdb.connect()
con.execute(f"CREATE VIEW tx AS SELECT * FROM read_csv('{csv}')")
con.execute(f"COPY ({sql}) TO '{out}' (FORMAT parquet)")
PY
"$CLM" sql rfm --dialect duckdb --table tx > "$work/rfm.sql"

echo "| run | wall | peak RSS |"
echo "|---|---|---|"
measure "DuckDB, rfm summary SQL" "$PYTHON" "$work/run_duckdb.py" "$work/rfm.sql" "$data" \
  "$work/duckdb_summary.parquet"
measure "clm rfm --memory-limit $limit" "$CLM" -q rfm "$data" --memory-limit "$limit" \
  -o "$work/rfm_streamed.csv"
measure "clm clv --memory-limit $limit" "$CLM" -q clv "$data" --memory-limit "$limit" \
  -o "$work/clv_streamed.csv"
"$CLM" -q rfm "$work/duckdb_summary.parquet" --input-kind summary -o "$work/rfm_duckdb.csv"
if cmp -s "$work/rfm_streamed.csv" "$work/rfm_duckdb.csv"; then
  echo "clm rfm streamed = clm rfm on DuckDB's summary ($(($(wc -l < "$work/rfm_streamed.csv") - 1)) customers)"
else
  echo "MISMATCH: clm rfm streamed differs from clm rfm on DuckDB's summary" >&2
  diff "$work/rfm_streamed.csv" "$work/rfm_duckdb.csv" | head -5 >&2
  exit 1
fi
