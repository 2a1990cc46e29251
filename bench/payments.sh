#!/usr/bin/env bash
# Payments benchmark (issue 5): the durable payment-link creation rate and the PSP webhook
# processing rate, each with its ledger postings, beside the raw SQLite insert rate of the same
# rows in the same run. Usage: bench/payments.sh path/to/payments_benchmark
# Runs src/payments/payments_benchmark.cpp and writes its own generated section of
# bench/RESULTS.md (between the PAYMENTS markers). Exit status 1 when the run was invalid (a
# failed link or webhook, a ledger invariant broken).
# Environment: BENCH_PAYMENTS (links, default 20000), BENCH_INFLIGHT (operations outstanding,
# default 64), BENCH_RAW_PER_OP (raw one-transaction-per-operation inserts timed, default 2000),
# BENCH_RESULTS (default bench/RESULTS.md; /dev/null: none).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_start payments "$@"

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
VALID=yes
"$BIN" >"$TMP/out.txt" || VALID="NO (the benchmark reported failed operations or ledger violations)"
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
cat "$TMP/out.txt" >&2
# shellcheck disable=SC1090
. <(grep -E '^[a-z_]+=[^ ]*$' "$TMP/out.txt" | sed 's/^/B_/')
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a / b; else print "?" }'; }
CPUS=$(nproc)
CPU_MODEL=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
LOADED=$(awk -v l="${LOAD_BEFORE%% *}" -v n="$CPUS" 'BEGIN{ print (l > n) ? "yes (load average above the CPU count: other work shared the machine; rates are pessimistic)" : "no" }')

generated() {
  echo "Run $(date -u +%Y-%m-%dT%H:%MZ) of \`$BIN\` on $CPUS CPUs ($CPU_MODEL); load average before: $LOAD_BEFORE, after: $LOAD_AFTER. Machine loaded: $LOADED. Valid run: $VALID."
  echo
  echo "| Operation ($B_payments each, $B_inflight outstanding) | Bottega (durable: SQLite WAL, fdatasynced before the answer) | Raw SQLite, same rows, 1 transaction per operation | Raw SQLite, same rows, $B_inflight operations per transaction | Bottega / raw batched |"
  echo "|---|---:|---:|---:|---:|"
  echo "| Payment link created (create_link with store credit: payment, credit.held ledger transaction, audit, outbox) | **$B_links_per_s /s** | $B_raw_links_per_op_per_s /s | $B_raw_links_batched_per_s /s | $(ratio "$B_links_per_s" "$B_raw_links_batched_per_s") |"
  echo "| PSP webhook processed (signed sandbox payment.succeeded: verify, dedupe, paid, ledger postings, audit, outbox) | **$B_webhooks_per_s /s** | $B_raw_webhooks_per_op_per_s /s | $B_raw_webhooks_batched_per_s /s | $(ratio "$B_webhooks_per_s" "$B_raw_webhooks_batched_per_s") |"
  echo
  echo "- Rows inserted per phase (read back from Bottega's database and replayed into a fresh file with the same schema and pragmas): links $B_link_rows ($B_link_tables); webhooks $B_webhook_rows ($B_webhook_tables). Balance rows Bottega updated in place (the customer's credit, the PSP account) are not replayed, foreign keys are off on the raw side: the raw numbers are an upper bound for those rows."
  echo "- Bottega's rate counts an operation when its write transaction has committed (the store's group commit batches concurrent writes); the raw one-transaction-per-operation rate is fsync-bound and timed over the first $B_raw_per_op_limit operations."
  echo "- Checks after the run: $B_webhooks_applied webhooks applied, $B_sampled_paid of 100 sampled links paid, $B_ledger_violations ledger invariant violations."
}
generated >"$TMP/generated.md"
bench_write_section PAYMENTS 'Payments: link creation and PSP webhook processing' "$TMP/generated.md"
echo
echo "==== Bottega payments bench ===="
generated
[ "$VALID" = yes ] || exit 1
