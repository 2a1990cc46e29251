#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests, from Debian's binaries (package postgresql).
#
#   scripts/pg.sh start [DIR]   initialise and start a server in DIR (default: a new temp dir) and
#                               print its URL, postgresql://bottega:PASSWORD@127.0.0.1:PORT/bottega
#   scripts/pg.sh url DIR       print the URL of the server in DIR again
#   scripts/pg.sh stop DIR      stop the server and delete DIR
#
# The server runs as an unprivileged user: when run as root, the system user `bottega-pg` (created
# if missing) owns DIR; otherwise the caller does. It listens on 127.0.0.1 only, on a free port,
# and on a unix socket inside DIR; the superuser `bottega` has a random password (it is in the URL),
# so other local users cannot use the server. The database `bottega` is created; tests create
# their own databases next to it. Only the URL goes to stdout; messages go to stderr.
#
# Environment: PG_BIN (directory of initdb/pg_ctl, default the newest /usr/lib/postgresql/*/bin),
# PG_FSYNC=off to trade durability for speed (the data is thrown away anyway; default on).
set -euo pipefail

PG_USER=bottega-pg
MARKER=.bottega-pg

die() { echo "pg.sh: $*" >&2; exit 1; }

find_bin() {
  if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; return; fi
  local b
  for b in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$b/initdb" ] && [ -x "$b/pg_ctl" ] && { echo "$b"; return; }
  done
  die "PostgreSQL server binaries not found (install the Debian package postgresql, or set PG_BIN)"
}

# Runs a command as the server's owner.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi
}

ensure_user() {
  [ "$(id -u)" -eq 0 ] || return 0
  if ! id -u "$PG_USER" >/dev/null 2>&1; then
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin "$PG_USER" >/dev/null ||
      die "cannot create the system user $PG_USER"
  fi
}

port_free() {
  local p=$1
  if command -v ss >/dev/null 2>&1; then
    [ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ]
  else
    ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null
  fi
}

cmd_start() {
  local dir=${1:-}
  local bin; bin=$(find_bin)
  ensure_user
  if [ -z "$dir" ]; then
    dir=$(mktemp -d "${TMPDIR:-/tmp}/bottega-pg.XXXXXX")
    echo "pg.sh: server directory $dir (stop with: scripts/pg.sh stop $dir)" >&2
  fi
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [ -z "$(ls -A "$dir")" ] || die "$dir is not empty"
  touch "$dir/$MARKER"
  if [ "$(id -u)" -eq 0 ]; then chown "$PG_USER:" "$dir" "$dir/$MARKER"; fi
  chmod 700 "$dir"
  as_owner test -w "$dir" || die "$dir is not writable by $PG_USER (is a parent directory private?)"

  local password; password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  as_owner sh -c 'umask 077; cat > "$1"' sh "$dir/pwfile" <<<"$password"
  as_owner "$bin/initdb" -D "$dir/data" -U bottega --pwfile="$dir/pwfile" \
    --auth-local=scram-sha-256 --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  rm -f "$dir/pwfile"
  as_owner mkdir -m 700 "$dir/sock"

  local fsync=${PG_FSYNC:-on} port="" try
  for try in $(seq 1 20); do
    local p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
    port_free "$p" || continue
    as_owner sh -c 'cat > "$1"' sh "$dir/data/postgresql.auto.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $p
unix_socket_directories = '$dir/sock'
max_connections = 200
fsync = $fsync
log_min_messages = warning
log_destination = 'stderr'
EOF
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null 2>&1; then
      port=$p
      break
    fi
    grep -q "could not bind\|already in use" "$dir/server.log" 2>/dev/null ||
      { cat "$dir/server.log" >&2 2>/dev/null; die "the server did not start"; }
  done
  [ -n "$port" ] || die "no free port found"

  PGPASSWORD=$password "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U bottega \
    -d postgres -c "CREATE DATABASE bottega" >&2 ||
    { cmd_stop "$dir"; die "cannot create the database"; }
  local url="postgresql://bottega:$password@127.0.0.1:$port/bottega"
  as_owner sh -c 'umask 077; cat > "$1"' sh "$dir/url" <<<"$url"
  echo "$url"
}

cmd_url() {
  local dir=${1:?usage: pg.sh url DIR}
  [ -f "$dir/url" ] || die "no server in $dir"
  cat "$dir/url"
}

cmd_stop() {
  local dir=${1:?usage: pg.sh stop DIR}
  [ -d "$dir" ] || return 0
  [ -f "$dir/$MARKER" ] || die "$dir was not made by pg.sh; not touching it"
  if [ -f "$dir/data/postmaster.pid" ]; then
    local bin; bin=$(find_bin)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
      echo "pg.sh: pg_ctl stop failed (see $dir/server.log)" >&2
  fi
  rm -rf "$dir"
}

case "${1:-start}" in
  start) shift || true; cmd_start "${1:-}" ;;
  url) cmd_url "${2:-}" ;;
  stop) cmd_stop "${2:-}" ;;
  *) die "usage: pg.sh start [DIR] | url DIR | stop DIR" ;;
esac
