#!/usr/bin/env bash
# Installs the Debian packages Bottega needs, only those missing (idempotent).
# Usage: scripts/deps.sh [build|test|demo|bench]
set -euo pipefail
what=${1:-build}
pkgs=(build-essential cmake ninja-build ccache pkg-config
      libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
      libsqlite3-dev libssl-dev libargon2-dev libtomlplusplus-dev libstemmer-dev libpq-dev
      libgtest-dev libgmock-dev libbenchmark-dev)
case "$what" in
  test)  pkgs+=(postgresql nginx-light nodejs npm chromium swaks openssl clang libclang-rt-14-dev) ;;
  demo)  pkgs+=(nodejs npm) ;;
  bench) pkgs+=(wrk nginx-light sqlite3 postgresql curl) ;;
esac
# Postfix for the email e2e test (a private instance the test starts as root), unconfigured so no
# system mail server starts; not when another mail server owns /usr/sbin/sendmail (Postfix would
# replace it): the test then says it is skipped.
if [ "$what" = test ]; then
  if dpkg-query -W -f='${Status}' postfix 2>/dev/null | grep -q "install ok installed" || [ ! -e /usr/sbin/sendmail ]; then
    pkgs+=(postfix)
    echo "postfix postfix/main_mailer_type select No configuration" | { [ "$(id -u)" -ne 0 ] && sudo debconf-set-selections || debconf-set-selections; } 2>/dev/null || true
  else
    echo "deps: another mail server is installed; the Postfix e2e test will be skipped" >&2
  fi
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node/npm may come from outside Debian's packages on a developer machine; accept any working node.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
clean=(); for p in "${missing[@]}"; do [ -n "$p" ] && clean+=("$p"); done
if [ ${#clean[@]} -gt 0 ]; then
  echo "deps: installing ${clean[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${clean[@]}"
fi
