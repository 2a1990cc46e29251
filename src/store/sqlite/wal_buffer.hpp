// A SQLite VFS that gathers a transaction's WAL writes into one write.
//
// SQLite writes each WAL frame with two write calls (its 24-byte header, then the page), so a
// commit of ~70 pages cost ~140 pwrite syscalls on the writer thread, each paying a full kernel
// entry and exit (most of the writer's kernel time under ingest). This VFS wraps the default
// ("unix") one and changes only the WAL file: writes that continue the previous one are kept in a
// buffer, and the buffer goes to the file in one write when the commit frame's page is written,
// that is before SQLite publishes the commit in the WAL index. Every other file (database,
// shared memory) is the unix VFS's own, untouched.
//
// Why readers and recovery cannot tell the difference:
// - A commit becomes visible to other connections when SQLite writes the new WAL-index header,
//   after the commit frame's write returned. By then that frame and every earlier one are in the
//   file (the page cache), as they were before.
// - The commit frame is recognised by its header: bytes 4..7 hold the database size after the
//   commit, non-zero only in a commit frame. The page write after it flushes the buffer, and
//   its result is that write's result: a failed flush (disk full) fails the commit, which SQLite
//   rolls back as it would any failed frame write.
// - Anything that could look at the file first flushes: a read, a sync, a truncate, the size, a
//   file-control call, close. A write that does not continue the buffer flushes it first, so
//   writes reach the file in the order SQLite made them.
// - What a crash leaves unflushed belongs to a transaction that never committed; recovery
//   discards frames after the last valid commit frame anyway.
#pragma once

#include <cstdint>

namespace bottega::store {

// Registers the VFS (once, thread-safe) and returns its name for sqlite3_open_v2.
const char* wal_buffer_vfs();

// Counters over every WAL file of the VFS, for the tests.
struct WalBufferStats {
  uint64_t writes_in = 0;   // write calls SQLite made on WAL files
  uint64_t writes_out = 0;  // writes that reached the files
};
WalBufferStats wal_buffer_stats();

}  // namespace bottega::store
