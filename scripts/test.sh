#!/usr/bin/env bash
# Runs every test: unit tests, fuzz corpus replays and end-to-end tests of the real binary (ctest),
# short libFuzzer runs of the webhook parsers (clang, ASan+UBSan; scripts/fuzz.sh), then the
# browser tests (node's test runner driving Debian's chromium through playwright-core).
# Expects `make build web` to have run (the Makefile's `test` target does that).
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
JOBS=${JOBS:-2}
export BOTTEGA_BIN="$PWD/$BUILD/bottega"

fail=0
# The store and pipeline conformance suites also run against PostgreSQL: a throwaway server from
# scripts/pg.sh (stopped on exit); their PostgreSQL cases read BOTTEGA_TEST_PG_URL.
if [ -z "${BOTTEGA_TEST_PG_URL:-}" ] && [ "${SKIP_PG_TESTS:-0}" != 1 ]; then
  pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/bottega-pg.XXXXXX")
  trap 'scripts/pg.sh stop "$pg_dir"' EXIT
  if BOTTEGA_TEST_PG_URL=$(scripts/pg.sh start "$pg_dir"); then
    export BOTTEGA_TEST_PG_URL
  else
    echo "test: PostgreSQL did not start; the PostgreSQL conformance cases are skipped" >&2
    fail=1
  fi
fi
ctest_log=$(mktemp)
ctest --test-dir "$BUILD" --output-on-failure -j "$JOBS" --timeout 900 2>&1 | tee "$ctest_log"
[ "${PIPESTATUS[0]}" -eq 0 ] || fail=1
c_total=$(grep -oE 'tests failed out of [0-9]+' "$ctest_log" | grep -oE '[0-9]+$' || echo 0)
c_failed=$(grep -oE '[0-9]+ tests failed out of' "$ctest_log" | grep -oE '^[0-9]+' || echo 0)

# libFuzzer: the webhook parsers' fuzz targets (they link only the channels module) built with
# Debian's clang, ASan and UBSan into build-fuzz, each run for FUZZ_SECONDS (default 2) on a copy
# of its seed corpus; a crash, leak, sanitizer report or hang fails the suite. SKIP_FUZZ=1 skips.
f_pass=0; f_fail=0
if [ "${SKIP_FUZZ:-0}" != 1 ]; then
  fuzz_log=$(mktemp)
  FUZZ_SECONDS=${FUZZ_SECONDS:-2} \
  FUZZ_TARGETS=${FUZZ_TARGETS:-"whatsapp_fuzz messenger_fuzz telegram_fuzz twilio_fuzz media_fuzz viber_fuzz wechat_fuzz email_fuzz"} \
    scripts/fuzz.sh 2>&1 | tee "$fuzz_log"
  fuzz_status=${PIPESTATUS[0]}
  f_pass=$(grep -c '^fuzz: .* ok,' "$fuzz_log" || true)
  f_fail=$(grep -c '^fuzz: .* FAILED' "$fuzz_log" || true)
  # No clang, or the targets did not build: that is a failure too, not a skip.
  if [ "$fuzz_status" -ne 0 ] && [ "$f_fail" -eq 0 ]; then f_fail=1; fi
fi

w_pass=0; w_fail=0
if [ -d web/tests ] && [ "${SKIP_WEB_TESTS:-0}" != 1 ]; then
  web_log=$(mktemp)
  (cd web && node --test --test-concurrency=1 tests/) 2>&1 | tee "$web_log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || fail=1
  w_pass=$(grep -oE '^# pass [0-9]+' "$web_log" | grep -oE '[0-9]+' || echo 0)
  w_fail=$(grep -oE '^# fail [0-9]+' "$web_log" | grep -oE '[0-9]+' || echo 0)
fi

if [ -d tools/sim/test ] && [ "${SKIP_WEB_TESTS:-0}" != 1 ]; then
  sim_log=$(mktemp)
  node --test --test-concurrency=1 tools/sim/test/ 2>&1 | tee "$sim_log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || fail=1
  w_pass=$(( w_pass + $(grep -oE '^# pass [0-9]+' "$sim_log" | grep -oE '[0-9]+' || echo 0) ))
  w_fail=$(( w_fail + $(grep -oE '^# fail [0-9]+' "$sim_log" | grep -oE '[0-9]+' || echo 0) ))
fi

passed=$(( c_total - c_failed + w_pass + f_pass ))
failed=$(( c_failed + w_fail + f_fail ))
[ "$failed" -gt 0 ] && fail=1
echo
# CI keeps only the end of the output: name every failure here, last.
if [ "$failed" -gt 0 ]; then
  echo "failed tests:"
  grep -E '^[[:space:]]*[0-9]+ - .*\((Failed|Timeout|SEGFAULT|Subprocess aborted|Child aborted|Exception)' "$ctest_log" | sed 's/^/  ctest: /' || true
  [ -n "${fuzz_log:-}" ] && { grep '^fuzz: .* FAILED' "$fuzz_log" | sed 's/^/  /' || true; }
  [ -n "${web_log:-}" ] && { grep -E '^[[:space:]]*not ok ' "$web_log" | sed 's/^/  browser: /' || true; }
  [ -n "${sim_log:-}" ] && { grep -E '^[[:space:]]*not ok ' "$sim_log" | sed 's/^/  simulator: /' || true; }
fi
echo "suite: ${passed} passed, ${failed} failed"
exit $fail
