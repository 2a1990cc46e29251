#include "pipeline/rate_bucket.hpp"

#include <algorithm>

namespace bottega::pipeline {

namespace {
constexpr store::Stmt kGetCell{
    "send_pacing.get",
    "SELECT tat_us FROM send_pacing WHERE tenant_id = $1 AND key = $2",
    "SELECT tat_us FROM send_pacing WHERE tenant_id = $1 AND key = $2 FOR UPDATE"};
constexpr store::Stmt kPutCell{
    "send_pacing.put",
    "INSERT INTO send_pacing(tenant_id, key, tat_us, updated_at) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (tenant_id, key) DO UPDATE SET tat_us = excluded.tat_us, updated_at = excluded.updated_at"};

constexpr store::Stmt kDeleteCell{"send_pacing.delete", "DELETE FROM send_pacing WHERE tenant_id = $1 AND key = $2"};
constexpr store::Stmt kPurgeSlots{"send_pacing.purge_slots",
                                  "DELETE FROM send_pacing WHERE key LIKE 'slot:%' AND updated_at < $1"};

int64_t stored_tat(store::Tx& tx, const std::string& tenant, const std::string& key) {
  auto r = tx.query_one(kGetCell, {tenant, key});
  return r ? r->i64(0) : 0;
}
}  // namespace

int64_t pace(store::Tx& tx, const std::string& tenant, const std::vector<PaceCell>& cells, int64_t now_ms,
             const std::string& slot_key) {
  const int64_t now_us = now_ms * 1000;
  std::string slot = slot_key.empty() ? std::string() : "slot:" + slot_key;
  if (!slot.empty()) {
    if (auto booked = tx.query_one(kGetCell, {tenant, slot})) {
      int64_t at_us = booked->i64(0);
      if (at_us > now_us) return (at_us - now_us + 999) / 1000;
      tx.exec(kDeleteCell, {tenant, slot});
      return 0;
    }
  }
  // The first instant every cell admits the send: each cell admits from tat - tolerance on.
  std::vector<int64_t> tats(cells.size());
  int64_t admit_us = now_us;
  for (size_t i = 0; i < cells.size(); ++i) {
    const auto& c = cells[i];
    tats[i] = stored_tat(tx, tenant, c.key);
    int64_t tolerance = (std::max<int64_t>(c.burst, 1) - 1) * c.interval_us;
    admit_us = std::max(admit_us, tats[i] - tolerance);
  }
  if (admit_us > now_us && slot.empty()) return (admit_us - now_us + 999) / 1000;
  for (size_t i = 0; i < cells.size(); ++i)
    tx.exec(kPutCell, {tenant, cells[i].key, std::max(tats[i], admit_us) + cells[i].interval_us, now_ms});
  if (admit_us <= now_us) return 0;
  tx.exec(kPutCell, {tenant, slot, admit_us, now_ms});
  return (admit_us - now_us + 999) / 1000;
}

int64_t purge_slots(store::Tx& tx, int64_t older_than_ms) { return tx.exec(kPurgeSlots, {older_than_ms}); }

void hold(store::Tx& tx, const std::string& tenant, const PaceCell& cell, int64_t until_ms, int64_t now_ms) {
  int64_t tolerance = (std::max<int64_t>(cell.burst, 1) - 1) * cell.interval_us;
  int64_t tat = std::max(stored_tat(tx, tenant, cell.key), until_ms * 1000 + tolerance);
  tx.exec(kPutCell, {tenant, cell.key, tat, now_ms});
}

}  // namespace bottega::pipeline
