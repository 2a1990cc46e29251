#!/usr/bin/env bash
# Bottega on PostgreSQL (GitHub issue 9): durable web chat ingest with one node and with two
# nodes of one installation, both behind nginx (round robin), beside pgbench inserting the same
# rows (a message, its outbox event, the conversation's last-message time: one transaction per
# message) with the same number of clients, on the same throwaway server (scripts/pg.sh, fsync and
# synchronous_commit on), in the same run. Usage: bench/pg.sh path/to/bottega
#
# Writes its own section of bench/RESULTS.md (between the PG markers; bench/run.sh's section is
# left alone) and prints a summary. Exit status: 0 for a valid run, 1 when a run was invalid (a
# non-201, a socket error, a lost message), 2 for a usage or setup error.
#
# Environment (all optional): BENCH_DURATION=15s BENCH_CONNECTIONS=64 BENCH_THREADS=2
# BENCH_VISITORS=200 BENCH_RESULTS=FILE (default bench/RESULTS.md; /dev/null: none) BENCH_KEEP=1
set -euo pipefail
export LC_ALL=C
export PATH=$PATH:/usr/sbin:/sbin

die() { echo "bench-pg: $*" >&2; exit 2; }
log() { echo "bench-pg: $*" >&2; }

[ $# -ge 1 ] || die "usage: bench/pg.sh path/to/bottega"
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
[ -x "$BIN" ] || die "$1 is not an executable"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
DURATION=${BENCH_DURATION:-15s}
[[ $DURATION =~ ^[0-9]+$ ]] && DURATION="${DURATION}s"
[[ $DURATION =~ ^[0-9]+s$ ]] || die "BENCH_DURATION must be seconds, like 15s (pgbench takes seconds)"
SECS=${DURATION%s}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
VISITORS=${BENCH_VISITORS:-200}
RESULTS=${BENCH_RESULTS:-$HERE/RESULTS.md}
for tool in wrk nginx curl psql; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is missing (scripts/deps.sh bench and test install them)"
done
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$PG_BIN/pgbench" ] || die "pgbench is missing (Debian package postgresql)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bottega-bench-pg.XXXXXX")
chmod 755 "$TMP"
PIDS=()
cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  "$REPO/scripts/pg.sh" stop "$TMP/pg" >/dev/null 2>&1 || true
  if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench-pg: kept $TMP" >&2; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT

free_port() {
  local p
  while :; do
    p=$(( 20000 + RANDOM % 30000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
json_str() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" | head -1; }

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log "starting PostgreSQL (fsync on)"
ADMIN_URL=$("$REPO/scripts/pg.sh" start "$TMP/pg")
PGVERSION=$("$PG_BIN/postgres" --version | awk '{print $3}')
psql_admin() { psql -X -q -v ON_ERROR_STOP=1 "$ADMIN_URL" "$@"; }

# run_nodes NAME N: a fresh database, N nodes and nginx in front; wrk ingest through nginx.
# Sets RPS, P99_MS, OK (201s), BAD (other statuses + socket errors), STORED.
run_nodes() {
  local name=$1 n=$2 db="bench_$1" i
  psql_admin -c "CREATE DATABASE $db" >/dev/null
  local url=${ADMIN_URL%/*}/$db
  local ports=()
  for i in $(seq 1 "$n"); do
    local port; port=$(free_port)
    ports+=("$port")
    cat >"$TMP/$name-$i.toml" <<EOF
[server]
listen = "127.0.0.1:$port"
public_url = "http://127.0.0.1:$port"
[store]
url = "$url"
[webchat]
visitor_messages_per_minute = 100000000
ip_messages_per_minute = 100000000
ip_visitors_per_hour = 100000000
EOF
  done
  "$BIN" migrate --config "$TMP/$name-1.toml" >/dev/null
  local tenant; tenant=$("$BIN" admin create-tenant --config "$TMP/$name-1.toml" --name Bench)
  local token; token=$(json_str api_token <<<"$tenant")
  for i in $(seq 1 "$n"); do
    "$BIN" serve --config "$TMP/$name-$i.toml" >"$TMP/$name-$i.log" 2>&1 &
    PIDS+=($!)
  done
  for i in $(seq 1 "$n"); do
    local ok=0 t
    for t in $(seq 100); do
      curl -sf "http://127.0.0.1:${ports[$((i - 1))]}/healthz" >/dev/null && { ok=1; break; }
      sleep 0.1
    done
    [ $ok = 1 ] || { cat "$TMP/$name-$i.log" >&2; die "node $i did not start"; }
  done
  local lb; lb=$(free_port)
  mkdir -p "$TMP/nginx-$name"
  {
    echo "daemon off; master_process off; worker_processes 1; pid $TMP/nginx-$name/pid;"
    echo "error_log $TMP/nginx-$name/error.log warn;"
    echo "events { worker_connections 4096; }"
    echo "http { access_log off; client_body_temp_path $TMP/nginx-$name/body; proxy_temp_path $TMP/nginx-$name/proxy;"
    echo "  fastcgi_temp_path $TMP/nginx-$name/f; uwsgi_temp_path $TMP/nginx-$name/u; scgi_temp_path $TMP/nginx-$name/s;"
    echo "  upstream bottega {"
    for p in "${ports[@]}"; do echo "    server 127.0.0.1:$p;"; done
    echo "    keepalive 128; }"
    echo "  server { listen 127.0.0.1:$lb; location / { proxy_pass http://bottega; proxy_http_version 1.1;"
    echo "    proxy_set_header Connection \"\"; } } }"
  } >"$TMP/nginx-$name/nginx.conf"
  nginx -p "$TMP/nginx-$name" -e "$TMP/nginx-$name/error.log" -c "$TMP/nginx-$name/nginx.conf" &
  local ngx=$!
  PIDS+=($ngx)
  for i in $(seq 50); do curl -s "http://127.0.0.1:$lb/healthz" >/dev/null && break; sleep 0.1; done

  local base="http://127.0.0.1:$lb"
  local channel; channel=$(curl -sf -X POST "$base/api/v1/channels" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d '{"type":"webchat","name":"Bench"}' | json_str id)
  [ -n "$channel" ] || die "cannot create the web chat channel"
  : >"$TMP/$name-tokens"
  for i in $(seq 1 "$VISITORS"); do
    echo "$(curl -sf -X POST "$base/api/v1/webchat/$channel/visitors" -H 'Content-Type: application/json' \
      -d '{}' | json_str visitor_token)" >>"$TMP/$name-tokens"
  done
  log "$name: $n node(s) behind nginx, wrk -c$CONNECTIONS -t$THREADS -d$DURATION"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 5s --latency -s "$HERE/wrk.lua" \
    "$base/api/v1/webchat/$channel/messages" -- ingest "$TMP/$name-tokens" >"$TMP/$name-wrk.txt" 2>&1 || true
  RPS=$(awk '$1=="BENCH"{for(i=2;i<=NF;i++){split($i,a,"="); if(a[1]=="rps") printf "%.0f", a[2]}}' "$TMP/$name-wrk.txt")
  P99_MS=$(awk '$1=="BENCH"{for(i=2;i<=NF;i++){split($i,a,"="); if(a[1]=="p99_us") printf "%.1f", a[2]/1000}}' "$TMP/$name-wrk.txt")
  OK=$(awk '$1=="BENCH_STATUS" && $2==201 {print $3; f=1} END{if(!f) print 0}' "$TMP/$name-wrk.txt")
  BAD=$(awk '$1=="BENCH_STATUS" && $2!=201 {n+=$3} $1=="BENCH_ERRORS"{for(i=2;i<=NF;i++){split($i,a,"="); if(a[1]!="status") n+=a[2]}} END{print n+0}' "$TMP/$name-wrk.txt")
  # SIGKILL the nodes (nothing gets a chance to flush): every 201 must be stored.
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  PIDS=()
  STORED=$(psql -X -At "$url" -c "SELECT COUNT(*) FROM messages WHERE text LIKE 'bench message %'")
  log "$name: $RPS msg/s, p99 $P99_MS ms, $OK acknowledged, $STORED stored, $BAD bad"
}

run_nodes one 1
ONE_RPS=$RPS ONE_P99=$P99_MS ONE_OK=$OK ONE_BAD=$BAD ONE_STORED=$STORED
run_nodes two 2
TWO_RPS=$RPS TWO_P99=$P99_MS TWO_OK=$OK TWO_BAD=$BAD TWO_STORED=$STORED

# pgbench: the rows one ingested message writes, one transaction each, same client count.
cat >"$TMP/insert.sql" <<'EOF'
\set c random(1, 200)
BEGIN;
INSERT INTO messages(id, tenant_id, conversation_id, direction, author_kind, author_id, kind, text, content, created_at)
  VALUES ('msg_' || md5(random()::text), 'ten_pgbench', 'cnv_' || :c, 'in', 'contact', 'ct_' || :c, 'text',
          'bench message', '{}', (extract(epoch from now()) * 1000)::bigint);
INSERT INTO events(id, tenant_id, type, conversation_id, contact_id, internal, payload, created_at)
  VALUES ('evt_' || md5(random()::text), 'ten_pgbench', 'message.created', 'cnv_' || :c, 'ct_' || :c, 0,
          '{"type":"message.created","data":{"text":"bench message"}}', (extract(epoch from now()) * 1000)::bigint);
UPDATE conversations SET last_message_at = (extract(epoch from now()) * 1000)::bigint WHERE seq = :c;
END;
EOF
# pgbench's -T clock includes opening its connections (64 SCRAM logins take seconds on a loaded
# machine; a 5 s run then processed nothing): give it that time on top. Its tps excludes the
# initial connection time, so the rate compares with wrk's over the same kind of interval.
PGB_SECS=$((SECS + 10))
log "pgbench: -c$CONNECTIONS -j$THREADS -T$PGB_SECS -M prepared on database bench_one"
"$PG_BIN/pgbench" -n -M prepared -c "$CONNECTIONS" -j "$THREADS" -T "$PGB_SECS" -f "$TMP/insert.sql" \
  "${ADMIN_URL%/*}/bench_one" >"$TMP/pgbench.txt" 2>&1 || { cat "$TMP/pgbench.txt" >&2; die "pgbench failed"; }
PGB_TPS=$(awk '/^tps = /{printf "%.0f", $3}' "$TMP/pgbench.txt")
PGB_LAT=$(awk '/^latency average = /{print $4}' "$TMP/pgbench.txt")
PGB_N=$(awk -F': ' '/^number of transactions actually processed/{print $2+0}' "$TMP/pgbench.txt")
PGB_CONNECT=$(awk '/^initial connection time = /{print $5}' "$TMP/pgbench.txt")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a / b; else print "?" }'; }
R1=$(ratio "$ONE_RPS" "$PGB_TPS"); R2=$(ratio "$TWO_RPS" "$PGB_TPS"); R21=$(ratio "$TWO_RPS" "$ONE_RPS")
VALID=yes
[ "$ONE_BAD" = 0 ] && [ "$TWO_BAD" = 0 ] || VALID="NO (non-201 answers or socket errors)"
[ "$ONE_STORED" -ge "$ONE_OK" ] && [ "$TWO_STORED" -ge "$TWO_OK" ] || VALID="NO (acknowledged messages missing)"
[ -n "$PGB_TPS" ] && [ "${PGB_N:-0}" -gt 0 ] || VALID="NO (pgbench processed no transaction: see its output)"
[ -n "$PGB_TPS" ] || cat "$TMP/pgbench.txt" >&2

SECTION=$(cat <<EOF
<!-- BEGIN PG GENERATED by bench/pg.sh: everything up to END PG is overwritten -->
## PostgreSQL: one node, two nodes, pgbench (bench/pg.sh, $(date -u +%Y-%m-%dT%H:%MZ))

| run | messages/s | p99 | acknowledged | stored after SIGKILL | bad |
|---|---:|---:|---:|---:|---:|
| 1 node behind nginx | $ONE_RPS | $ONE_P99 ms | $ONE_OK | $ONE_STORED | $ONE_BAD |
| 2 nodes behind nginx | $TWO_RPS | $TWO_P99 ms | $TWO_OK | $TWO_STORED | $TWO_BAD |
| pgbench, same rows, one transaction each | $PGB_TPS tx/s | avg $PGB_LAT ms | $PGB_N transactions | | |

- ratio to pgbench: 1 node **$R1**, 2 nodes **$R2**; 2 nodes / 1 node: **$R21**. Valid run: $VALID.
- same run, same server: PostgreSQL $PGVERSION from Debian (scripts/pg.sh: fsync on, synchronous_commit
  on), $(nproc) CPUs ($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)), everything on one
  machine (wrk, nginx, the nodes, the server); wrk -c$CONNECTIONS -t$THREADS -d$DURATION, $VISITORS visitors;
  pgbench -c$CONNECTIONS -j$THREADS -T$PGB_SECS -M prepared (its initial connection time, ${PGB_CONNECT:-?} ms, is
  not in its tps) inserting a message, an outbox event and updating the conversation per transaction.
- load average before the runs: $LOAD_BEFORE on $(nproc) CPUs; above the CPU count, other work shared
  the machine and the numbers say more about it than about Bottega.
- Bottega's write batches take one advisory lock (outbox seq order = commit order across nodes, see
  docs/deployment.md), so two nodes commit one batch at a time between them: a second node adds HTTP
  and CPU capacity and availability, not write throughput. pgbench's transactions do not take that
  lock; each commits on its own and PostgreSQL groups their WAL flushes.
<!-- END PG GENERATED -->
EOF
)
echo "$SECTION"
if [ "$RESULTS" != /dev/null ]; then
  [ -f "$RESULTS" ] || touch "$RESULTS"
  if grep -q '<!-- BEGIN PG GENERATED' "$RESULTS"; then
    printf '%s\n' "$SECTION" >"$TMP/section"
    awk -v repl="$TMP/section" 'BEGIN{skip=0}
      /<!-- BEGIN PG GENERATED/ { while ((getline line < repl) > 0) print line; skip=1; next }
      /<!-- END PG GENERATED -->/ { skip=0; next }
      !skip { print }' "$RESULTS" >"$TMP/results.new"
    cat "$TMP/results.new" >"$RESULTS"
  else
    printf '\n%s\n' "$SECTION" >>"$RESULTS"
  fi
  log "wrote $RESULTS"
fi
[ "$VALID" = yes ] || exit 1
