#!/usr/bin/env bash
# Checks against independent readers and engines, run by .ci/run after `cargo test`:
# the Excel workbooks read back with openpyxl, the cohort matrices recomputed with pandas, and
# the SQL of `clm sql` run on DuckDB and Postgres (parsed with sqlglot for the other dialects),
# the HTML report rendered in headless Chromium, and the Spark SQL run by Spark in local mode.
# Installs what it needs into a virtual environment of its own.
set -euo pipefail
cd "$(dirname "$0")/.."

clm="${CARGO_TARGET_DIR:-target}/debug/clm"
[ -x "$clm" ] || cargo build --quiet
venv="${CLM_CHECKS_VENV:-${TMPDIR:-/tmp}/clm-checks-venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check openpyxl pandas numpy duckdb sqlglot

"$venv/bin/python" scripts/check_xlsx.py --clm "$clm"
"$venv/bin/python" scripts/check_cohorts.py --clm "$clm"
"$venv/bin/python" scripts/check_sql.py --clm "$clm"
bash scripts/check_report.sh
# Spark in local mode (about 70 s on 2 idle cores, plus its JVM): needs Java 17.
if command -v java >/dev/null; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check pyspark
  "$venv/bin/python" scripts/check_sql_spark.py --clm "$clm"
else
  echo "skipped scripts/check_sql_spark.py: no java on this machine (Spark needs Java 17)"
fi
