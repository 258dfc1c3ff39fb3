#!/usr/bin/env bash
# Checks against independent readers and engines, run by .ci/run after `cargo test`:
# the Excel workbooks read back with openpyxl, the cohort matrices recomputed with pandas, and
# the SQL of `clm sql` run on DuckDB and Postgres (parsed with sqlglot for the other dialects),
# and the HTML report rendered in headless Chromium.
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
