#!/usr/bin/env bash
# Builds the front end into web/dist (console, chat page, widget.js).
# Installs web/node_modules with `npm ci` when it is missing or package-lock.json changed, and
# skips the build when dist/ is newer than every source. FORCE=1 rebuilds anyway.
set -euo pipefail

cd "$(dirname "$0")/../web"

if ! command -v npm >/dev/null 2>&1; then
  echo "web.sh: npm not found (Node.js 20.19+ is needed to build the front end)" >&2
  exit 1
fi

lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
lock_stamp=node_modules/.bottega-lock.sha256
if [ ! -d node_modules ] || [ ! -f "$lock_stamp" ] || [ "$(cat "$lock_stamp")" != "$lock_sum" ]; then
  echo "web.sh: npm ci"
  npm ci --prefer-offline --no-audit --no-fund --loglevel=error
  echo "$lock_sum" >"$lock_stamp"
fi

build_stamp=node_modules/.bottega-build-stamp
sources=(index.html chat.html src package.json package-lock.json tsconfig.json tsconfig.node.json
  vite.config.ts vite.widget.config.ts)
[ -d public ] && sources+=(public)

needs_build=${FORCE:-0}
for f in dist/index.html dist/chat.html dist/widget.js "$build_stamp"; do
  [ -e "$f" ] || needs_build=1
done
if [ "$needs_build" = 0 ] && [ -n "$(find "${sources[@]}" -newer "$build_stamp" -print -quit)" ]; then
  needs_build=1
fi

if [ "$needs_build" = 0 ]; then
  echo "web.sh: web/dist is up to date"
  exit 0
fi

# Stamp the start time: a source edited during the build makes the next run build again.
touch "$build_stamp.new"
npm run --silent build
mv "$build_stamp.new" "$build_stamp"
echo "web.sh: built web/dist"
