// Send pacing in the database, so a limit holds across every node using it (the in-memory
// http::api::RateLimiter is per node). Each key (a channel, or one recipient on a channel) is a
// GCRA cell (the generic cell rate algorithm, i.e. a token bucket kept as one number): its
// theoretical arrival time in microseconds. A send is admitted when it is no earlier than
// (burst - 1) intervals before that time, and then pushes it one interval further. Integer
// arithmetic on both stores; each take is a write in the caller's transaction, and on PostgreSQL
// every write batch holds the cluster-wide write lock (see postgres_store.cpp), so the
// read-then-update cannot interleave with another node's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bottega/store.hpp"

namespace bottega::pipeline {

struct PaceCell {
  std::string key;
  int64_t interval_us = 0;  // one send per interval on average; > 0
  int64_t burst = 1;        // sends admitted back to back from rest; >= 1
};

// Admits one send through every cell, or through none: returns 0 when admitted (each cell
// advanced), else the milliseconds until every cell would admit it.
//
// Without a slot key nothing changes on a refusal. With one (a message id), a refused send books
// the first instant every cell admits it (the cells advance as if it had been sent then) and gets
// the wait until that instant; asked again with the same key it is admitted once the instant has
// come. Sends queued together thus leave one per interval, in the order they asked, instead of all
// retrying at the next free instant and being refused again. REQUIRES: tx writable.
int64_t pace(store::Tx& tx, const std::string& tenant, const std::vector<PaceCell>& cells, int64_t now_ms,
             const std::string& slot_key = {});

// Forgets slots booked before `older_than_ms` whose send never came back for them (its job died).
int64_t purge_slots(store::Tx& tx, int64_t older_than_ms);

// Holds a cell back: nothing passes it before until_ms (a provider answered "slow down").
void hold(store::Tx& tx, const std::string& tenant, const PaceCell& cell, int64_t until_ms, int64_t now_ms);

}  // namespace bottega::pipeline
