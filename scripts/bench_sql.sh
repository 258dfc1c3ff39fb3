#!/usr/bin/env bash
# The per-customer summary of a simulated log (4 million customers, about 11 million rows):
# DuckDB running the SQL of `clm sql` on the CSV against `clm summary` on the same file, for the
# one cut-off of rfm/clv/loyalty and the three of churn. Each writes the summary as Parquet.
# Usage: CLM=target/debug/clm PYTHON=/tmp/clm-checks-venv/bin/python scripts/bench_sql.sh [CUSTOMERS]
# (PYTHON needs the duckdb package). Prints markdown rows "| name | wall | peak RSS |".
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench_common.sh
PYTHON=${PYTHON:-python3}
customers=${1:-4000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$CLM" -q simulate --customers "$customers" -o "$work/tx.csv"
echo "$(wc -l < "$work/tx.csv") lines, $(du -m "$work/tx.csv" | cut -f1) MB of CSV"
cat > "$work/run_duckdb.py" <<'PY'
import sys, duckdb
sql, csv, out = open(sys.argv[1]).read().rstrip().rstrip(";"), sys.argv[2], sys.argv[3]
con = duckdb.connect()
con.execute(f"CREATE VIEW tx AS SELECT * FROM read_csv('{csv}')")
con.execute(f"COPY ({sql}) TO '{out}' (FORMAT parquet)")
PY
for analysis in rfm churn; do
  "$CLM" sql "$analysis" --dialect duckdb --table tx > "$work/$analysis.sql"
  measure "DuckDB, $analysis SQL" "$PYTHON" "$work/run_duckdb.py" "$work/$analysis.sql" \
    "$work/tx.csv" "$work/duckdb_$analysis.parquet"
done
measure "clm summary" "$CLM" -q summary "$work/tx.csv" -o "$work/clm_rfm.parquet"
measure "clm summary --horizon 90" "$CLM" -q summary "$work/tx.csv" --horizon 90 \
  -o "$work/clm_churn.parquet"
