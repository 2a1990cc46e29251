#!/usr/bin/env bash
# Builds fuzz targets with clang + libFuzzer (ASan, UBSan) into build-fuzz and runs each for
# FUZZ_SECONDS (default 20) on a copy of its seed corpus. FUZZ_TARGETS (names such as
# "viber_fuzz wechat_fuzz") limits the run; default: every target clang can build (router_fuzz and
# smtp_session_fuzz need Beast's coroutines, which clang 14 cannot compile with sanitizers).
# Crashes are kept in build-fuzz/crashes/ and make the script exit 1.
set -uo pipefail
cd "$(dirname "$0")/.."
SECS=${FUZZ_SECONDS:-20}
DIR=${FUZZ_BUILD:-build-fuzz}
if ! command -v clang++ >/dev/null 2>&1; then
  echo "fuzz: clang++ not found (Debian: apt-get install clang libclang-rt-14-dev)" >&2
  exit 2
fi
cmake -S . -B "$DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DBOTTEGA_FUZZ=ON -DBOTTEGA_SANITIZE=ON -DBOTTEGA_WERROR=OFF >/dev/null || exit 2
targets=${FUZZ_TARGETS:-$(cd fuzz && ls *_fuzz.cpp | sed 's/\.cpp$//' | grep -v -e '^router_fuzz$' -e '^smtp_session_fuzz$')}
# shellcheck disable=SC2086
ninja -C "$DIR" $targets || { echo "fuzz: building the targets failed" >&2; exit 2; }
mkdir -p "$DIR/crashes"
failed=0
for t in $targets; do
  name=${t%_fuzz}
  work=$(mktemp -d)
  cp -r "fuzz/corpus/$name/." "$work/"
  log="$DIR/$t.log"
  # -timeout: one input taking more than 10 s is a hang; -rss_limit_mb guards memory blowups.
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
    "$DIR/$t" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$DIR/crashes/$name-" -print_final_stats=1 "$work" >"$log" 2>&1
  status=$?
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo '?')
  if [ $status -ne 0 ]; then
    failed=1
    echo "fuzz: $t FAILED after ${SECS}s (exit $status); log $log, inputs in $DIR/crashes/"
    grep -E 'ERROR|runtime error|SUMMARY|Test unit written' "$log" | head -8
  else
    echo "fuzz: $t ok, $runs inputs in ${SECS}s"
  fi
  rm -rf "$work"
done
exit $failed
