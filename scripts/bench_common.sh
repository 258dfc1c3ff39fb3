# Sourced by the bench_*.sh scripts: the clm binary and a timed run.
# Sets CLM (a release build unless CLM is given), installs GNU time when missing, and defines
# `measure NAME COMMAND...`, which prints a markdown row "| NAME | wall | peak RSS |" from
# GNU time (the command's output is discarded; its wall time and max RSS are kept in $work/time).
if [ -z "${CLM:-}" ]; then
  cargo build --release --quiet
  CLM=${CARGO_TARGET_DIR:-target}/release/clm
fi
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }

measure() { # name, command...
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" > /dev/null
  read -r secs kb < "$work/time"
  printf "| %-34s | %6.2f s | %6d MB |\n" "$name" "$secs" "$((kb / 1024))"
}
