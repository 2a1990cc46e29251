#!/usr/bin/env bash
# Builds the fuzz targets with clang + libFuzzer (ASan, UBSan) into build-fuzz and runs each for
# FUZZ_SECONDS (default 20) on a copy of its seed corpus. Crashes are kept in build-fuzz/crashes/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${FUZZ_SECONDS:-20}
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DBOTTEGA_FUZZ=ON -DBOTTEGA_SANITIZE=ON -DBOTTEGA_WERROR=OFF >/dev/null
targets=$(cd fuzz && ls *_fuzz.cpp | sed 's/\.cpp$//' | grep -v '^router_fuzz$')
ninja -C build-fuzz $targets
mkdir -p build-fuzz/crashes
for t in $targets; do
  name=${t%_fuzz}
  work=$(mktemp -d)
  cp -r fuzz/corpus/$name/. "$work/"
  echo "fuzz: $t for ${SECS}s"
  build-fuzz/$t -max_total_time="$SECS" -artifact_prefix=build-fuzz/crashes/$name- -print_final_stats=1 "$work" 2>&1 | tail -3
  rm -rf "$work"
done
