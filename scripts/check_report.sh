#!/usr/bin/env bash
# Renders clm's HTML report of the fixture data in headless Chromium (Debian's chromium package,
# installed here when missing) and checks it loads with no console error and no network
# request, with every section and every chart drawn; saves full-page screenshots beside the
# reports. Called by scripts/ci_checks.sh; runs on its own too.
#   scripts/check_report.sh            screenshots in ${TMPDIR:-/tmp}/clm-report-check
#   CLM_DOCS_SCREENSHOT=1 scripts/...  also refresh docs/report.png (the README's picture)
set -euo pipefail
cd "$(dirname "$0")/.."

clm="${CARGO_TARGET_DIR:-target}/debug/clm"
[ -x "$clm" ] || cargo build --quiet

chromium="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$chromium" ]; then
  echo "check_report: installing Debian's chromium (headless rendering of the report)"
  sudo_if_needed=""
  [ "$(id -u)" -eq 0 ] || sudo_if_needed="sudo"
  if ! { $sudo_if_needed apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_if_needed apt-get install -y -qq chromium >/dev/null; }; then
    echo "check_report: SKIPPED: chromium is not installed and cannot be installed here (apt-get install -y chromium failed)" >&2
    exit 1
  fi
  chromium="$(command -v chromium)"
fi

# The --lang zh report needs a font with Chinese glyphs, or Chromium draws empty boxes.
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  echo "check_report: installing Debian's fonts-noto-cjk (Chinese glyphs for the --lang zh report)"
  sudo_if_needed=""
  [ "$(id -u)" -eq 0 ] || sudo_if_needed="sudo"
  if ! { $sudo_if_needed apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_if_needed apt-get install -y -qq fonts-noto-cjk >/dev/null; }; then
    echo "check_report: FAILED: no font with Chinese glyphs and fonts-noto-cjk cannot be installed here" >&2
    exit 1
  fi
fi

venv="${CLM_CHECKS_VENV:-${TMPDIR:-/tmp}/clm-checks-venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check websocket-client

out="${TMPDIR:-/tmp}/clm-report-check"
mkdir -p "$out"
check() { # name, then clm report's arguments before -o
  local name="$1"; shift
  "$clm" report -q "$@" -o "$out/$name.html"
  local extra=()
  if [ "${CLM_DOCS_SCREENSHOT:-}" = 1 ] && [ "$name" = transactions ]; then
    extra+=(--docs-screenshot docs/report.png)
  fi
  case " $* " in *" --lang zh "*) extra+=(--lang zh) ;; esac
  # Lifecycle: the stage chart and the migration heat map.
  "$venv/bin/python" scripts/check_report.py --chromium "$chromium" \
    --html "$out/$name.html" --screenshot "$out/$name.png" --min-charts lifecycle=2 "${extra[@]}"
}
for fixture in online_retail_sample cdnow_sample transactions rfm_data_orders; do
  check "$fixture" "fixtures/$fixture.csv"
done
check transactions_survey fixtures/transactions.csv --survey fixtures/survey.csv
check transactions_survey_zh fixtures/transactions.csv --survey fixtures/survey.csv --lang zh
