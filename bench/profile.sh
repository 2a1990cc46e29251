#!/usr/bin/env bash
# Per-request cost of durable web chat ingest under callgrind (instruction counts do not depend
# on what else runs on the machine, unlike wall-clock numbers). Usage:
#   bench/profile.sh path/to/bottega [requests-seconds]
# PROFILE_CONNECTIONS (default 8) sets wrk's connections: more connections, bigger group commits
# (the real benchmark runs 64; per-batch costs then weigh less per request).
# Starts `bottega serve` under `valgrind --tool=callgrind --instr-atstart=no` on a fresh SQLite
# database, creates a web chat channel and 50 visitors, switches instrumentation on, runs wrk
# (bench/wrk.lua ingest mode, -c$PROFILE_CONNECTIONS) for the given seconds (default 20), dumps, and prints the
# instructions per 201 and the top functions (inclusive). Keeps the temp dir (callgrind.out.*).
set -euo pipefail
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SECS=${2:-20}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bottega-prof.XXXXXX")
PORT=$((20000 + RANDOM % 40000))
BASE="http://127.0.0.1:$PORT"
cat >"$TMP/bench.toml" <<CONF
[server]
listen = "127.0.0.1:$PORT"
public_url = "$BASE"
threads = 2
[store]
url = "sqlite://$TMP/bench.db"
[webchat]
visitor_messages_per_minute = 100000000
ip_messages_per_minute = 100000000
ip_visitors_per_hour = 100000000
CONF
"$BIN" migrate --config "$TMP/bench.toml" >/dev/null
API_TOKEN=$("$BIN" admin create-tenant --config "$TMP/bench.toml" --name Bench | sed -n 's/.*"api_token":"\([^"]*\)".*/\1/p')
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$TMP/callgrind.out.%p" \
  "$BIN" serve --config "$TMP/bench.toml" >"$TMP/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 300); do curl -sf --max-time 2 "$BASE/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
CH=$(curl -s -XPOST "$BASE/api/v1/channels" -H "Authorization: Bearer $API_TOKEN" -H 'Content-Type: application/json' \
  -d '{"type":"webchat","name":"Bench","settings":{}}' | sed -n 's/.*"id":"\([^"]*\)".*/\1/p' | head -n1)
for _ in $(seq 50); do
  curl -s -w "\n" -XPOST -H "Content-Type: application/json" -d "{}" "$BASE/api/v1/webchat/$CH/visitors" |
    sed -n 's/.*"visitor_token":"\([^"]*\)".*/\1/p'
done >"$TMP/tokens.txt"
# warm up (statement cache, page cache) before measuring
CONNS=${PROFILE_CONNECTIONS:-8}
wrk -t1 -c"$CONNS" -d3s -s "$HERE/wrk.lua" "$BASE/api/v1/webchat/$CH/messages" -- ingest "$TMP/tokens.txt" >/dev/null
callgrind_control -i on "$PID" >/dev/null
wrk -t1 -c"$CONNS" -d"${SECS}s" --timeout 30s -s "$HERE/wrk.lua" "$BASE/api/v1/webchat/$CH/messages" -- ingest "$TMP/tokens.txt" >"$TMP/wrk.txt"
callgrind_control -i off "$PID" >/dev/null
callgrind_control -d "$PID" >/dev/null
sleep 1
N=$(awk '$1=="BENCH_STATUS" && $2==201 {print $3}' "$TMP/wrk.txt")
# the dump requested above is callgrind.out.PID.1 (callgrind.out.PID is the at-exit file)
OUT=$(ls -t "$TMP"/callgrind.out.*.[0-9]* | head -n1)
# (awk reads everything: an early exit would SIGPIPE callgrind_annotate and, with pipefail, this script)
callgrind_annotate --inclusive=yes "$OUT" >"$TMP/inclusive.txt" 2>/dev/null || true
TOTAL=$(awk '/PROGRAM TOTALS/ && !t {gsub(",","",$1); t=$1} END{printf "%.0f\n", t}' "$TMP/inclusive.txt")
MSGS=$(sqlite3 "$TMP/bench.db" 'PRAGMA busy_timeout=10000; SELECT COUNT(*) FROM messages;' 2>/dev/null | tail -n1 || echo "?")
echo "requests 201: $N   instructions: $TOTAL   per request: $((TOTAL / N))   (messages stored: $MSGS, over 50 conversations)"
grep -h BENCH_STATUS "$TMP/wrk.txt"
# Inclusive instructions per request of the steps named in bench/RESULTS.md (a function that
# appears under several names, e.g. a lambda and its std::function wrapper, is counted once: the
# largest line whose name matches).
per_request() {  # per_request LABEL REGEX
  awk -v re="$2" -v n="$N" -v label="$1" '$0 ~ re { gsub(",", "", $1); if ($1 + 0 > best) best = $1 + 0 }
    END { printf "  %-48s %8.1fk\n", label, best / n / 1000 }' "$TMP/inclusive.txt"
}
echo "per request, inclusive:"
per_request "writer thread (SqliteStore::run_batch)" 'SqliteStore::run_batch'
per_request "web chat write fn (message_post lambda)" 'webchat_routes.cpp:.*message_post'
per_request "  ingest_contact_message" 'pipeline::ingest_contact_message'
per_request "  find_active_conversation" 'repo::find_active_conversation'
per_request "  insert_message" 'repo::insert_message'
per_request "  touch_conversation_last_message" 'repo::touch_conversation_last_message'
per_request "  emit" 'pipeline::emit\('
per_request "  append_event" 'repo::append_event'
# (the listener's lambdas: #1 reads which conversations change, on a reader; #2 writes, on the writer)
per_request "service listener, read (reader connection)" 'ServiceListener::on_batch_end\(\)::\{lambda\(bottega::store::Tx&\)#1'
per_request "service listener, write (writer thread)" 'ServiceListener::on_batch_end\(\)::\{lambda\(bottega::store::Tx&\)#2'
per_request "  recompute (in the write)" 'service::recompute\('
per_request "reports listener (apply_pending)" 'reports::apply_pending'
per_request "message search index (index_new_messages)" 'store::index_new_messages'
per_request "BEGIN / COMMIT (exec_script)" 'Connection::exec_script'
per_request "dispatcher thread (Dispatcher::loop)" 'Dispatcher::loop'
per_request "I/O threads (asio scheduler::run)" 'asio::detail::scheduler::run\('
echo "profile: $OUT (callgrind_annotate --inclusive=yes $OUT; $TMP/inclusive.txt)"
echo "temp dir: $TMP"
