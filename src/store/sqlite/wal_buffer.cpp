#include "store/sqlite/wal_buffer.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <vector>

namespace bottega::store {
namespace {

constexpr int kFrameHeader = 24;            // WAL frame header size (SQLite file format)
constexpr size_t kMaxBuffered = 8u << 20;   // a transaction larger than this is written in parts
constexpr size_t kMaxWrite = 31 * 4096;     // below the unix VFS's limit of 0x1ffff bytes per write

sqlite3_vfs* g_real = nullptr;  // the unix VFS
sqlite3_vfs g_vfs;
std::atomic<uint64_t> g_writes_in{0};
std::atomic<uint64_t> g_writes_out{0};

// A WAL file: our state, then the unix VFS's own sqlite3_file (real), which does the I/O.
struct WalFile {
  sqlite3_file base;
  sqlite3_file* real;
  std::vector<unsigned char>* buf;  // bytes not yet in the file, from offset start
  sqlite3_int64 start;
  bool commit_frame_header;  // the last buffered write was a commit frame's header
};

WalFile* wal(sqlite3_file* f) { return reinterpret_cast<WalFile*>(f); }

int flush(WalFile* w) {
  int rc = SQLITE_OK;
  // In pieces: the unix VFS writes at most 128 KiB - 1 bytes per call (it masks the length).
  for (size_t done = 0; done < w->buf->size() && rc == SQLITE_OK; done += kMaxWrite) {
    size_t n = std::min(kMaxWrite, w->buf->size() - done);
    rc = w->real->pMethods->xWrite(w->real, w->buf->data() + done, static_cast<int>(n),
                                   w->start + static_cast<sqlite3_int64>(done));
    g_writes_out.fetch_add(1, std::memory_order_relaxed);
  }
  // Written or not, the bytes leave the buffer: after a failure SQLite rolls the transaction back
  // and rewrites these frames' offsets, and a retry of stale bytes would only be overwritten.
  w->buf->clear();
  w->commit_frame_header = false;
  return rc;
}

int x_close(sqlite3_file* f) {
  WalFile* w = wal(f);
  int rc = flush(w);
  int rc2 = w->real->pMethods->xClose(w->real);
  delete w->buf;
  w->buf = nullptr;
  return rc != SQLITE_OK ? rc : rc2;
}

int x_read(sqlite3_file* f, void* out, int n, sqlite3_int64 off) {
  WalFile* w = wal(f);
  if (int rc = flush(w); rc != SQLITE_OK) return rc;
  return w->real->pMethods->xRead(w->real, out, n, off);
}

int x_write(sqlite3_file* f, const void* data, int n, sqlite3_int64 off) {
  WalFile* w = wal(f);
  g_writes_in.fetch_add(1, std::memory_order_relaxed);
  auto& buf = *w->buf;
  bool ends_commit = w->commit_frame_header;  // taken before a flush below clears it
  if (!buf.empty() && (off != w->start + static_cast<sqlite3_int64>(buf.size()) || buf.size() + n > kMaxBuffered)) {
    if (int rc = flush(w); rc != SQLITE_OK) return rc;
  }
  if (buf.empty()) w->start = off;
  const auto* p = static_cast<const unsigned char*>(data);
  buf.insert(buf.end(), p, p + n);
  // A commit frame's header carries the database size in bytes 4..7; other frames carry zero.
  w->commit_frame_header = n == kFrameHeader && (p[4] | p[5] | p[6] | p[7]) != 0;
  if (ends_commit) return flush(w);  // the commit frame's page: the whole commit goes now
  return SQLITE_OK;
}

int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
  WalFile* w = wal(f);
  if (int rc = flush(w); rc != SQLITE_OK) return rc;
  return w->real->pMethods->xTruncate(w->real, size);
}

int x_sync(sqlite3_file* f, int flags) {
  WalFile* w = wal(f);
  if (int rc = flush(w); rc != SQLITE_OK) return rc;
  return w->real->pMethods->xSync(w->real, flags);
}

int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
  WalFile* w = wal(f);
  if (int rc = flush(w); rc != SQLITE_OK) return rc;
  return w->real->pMethods->xFileSize(w->real, size);
}

int x_lock(sqlite3_file* f, int level) { return wal(f)->real->pMethods->xLock(wal(f)->real, level); }
int x_unlock(sqlite3_file* f, int level) { return wal(f)->real->pMethods->xUnlock(wal(f)->real, level); }
int x_check_reserved(sqlite3_file* f, int* out) {
  return wal(f)->real->pMethods->xCheckReservedLock(wal(f)->real, out);
}

int x_file_control(sqlite3_file* f, int op, void* arg) {
  WalFile* w = wal(f);
  if (int rc = flush(w); rc != SQLITE_OK) return rc;
  return w->real->pMethods->xFileControl(w->real, op, arg);
}

int x_sector_size(sqlite3_file* f) { return wal(f)->real->pMethods->xSectorSize(wal(f)->real); }
int x_device_characteristics(sqlite3_file* f) {
  return wal(f)->real->pMethods->xDeviceCharacteristics(wal(f)->real);
}

// Version 1: a WAL file is never memory-mapped nor given shared memory (those are the database
// file's), so SQLite asks it for nothing beyond these.
const sqlite3_io_methods kWalMethods = {
    1,           x_close,          x_read,  x_write,  x_truncate,         x_sync,
    x_file_size, x_lock,           x_unlock, x_check_reserved, x_file_control, x_sector_size,
    x_device_characteristics,
    nullptr,     nullptr,          nullptr, nullptr,  nullptr,            nullptr,
};

int x_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  if (!(flags & SQLITE_OPEN_WAL)) return g_real->xOpen(g_real, name, f, flags, out_flags);
  WalFile* w = wal(f);
  w->base.pMethods = nullptr;  // until opened: SQLite does not close a file whose open failed
  w->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + sizeof(WalFile));
  int rc = g_real->xOpen(g_real, name, w->real, flags, out_flags);
  if (rc != SQLITE_OK) return rc;
  w->buf = new (std::nothrow) std::vector<unsigned char>();
  if (!w->buf) {
    w->real->pMethods->xClose(w->real);
    return SQLITE_NOMEM;
  }
  w->start = 0;
  w->commit_frame_header = false;
  w->base.pMethods = &kWalMethods;
  return SQLITE_OK;
}

// Everything else is the unix VFS's.
int x_delete(sqlite3_vfs*, const char* name, int sync_dir) { return g_real->xDelete(g_real, name, sync_dir); }
int x_access(sqlite3_vfs*, const char* name, int flags, int* out) { return g_real->xAccess(g_real, name, flags, out); }
int x_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return g_real->xFullPathname(g_real, name, n, out);
}
void* x_dl_open(sqlite3_vfs*, const char* name) { return g_real->xDlOpen(g_real, name); }
void x_dl_error(sqlite3_vfs*, int n, char* out) { g_real->xDlError(g_real, n, out); }
void (*x_dl_sym(sqlite3_vfs*, void* h, const char* sym))(void) { return g_real->xDlSym(g_real, h, sym); }
void x_dl_close(sqlite3_vfs*, void* h) { g_real->xDlClose(g_real, h); }
int x_randomness(sqlite3_vfs*, int n, char* out) { return g_real->xRandomness(g_real, n, out); }
int x_sleep(sqlite3_vfs*, int us) { return g_real->xSleep(g_real, us); }
int x_current_time(sqlite3_vfs*, double* out) { return g_real->xCurrentTime(g_real, out); }
int x_get_last_error(sqlite3_vfs*, int n, char* out) { return g_real->xGetLastError(g_real, n, out); }
int x_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) { return g_real->xCurrentTimeInt64(g_real, out); }

}  // namespace

const char* wal_buffer_vfs() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_real = sqlite3_vfs_find("unix");
    if (!g_real || g_real->iVersion < 2) {
      std::fprintf(stderr, "store: SQLite has no unix VFS of version 2 or later\n");
      std::abort();
    }
    g_vfs = sqlite3_vfs{};
    g_vfs.iVersion = 2;
    g_vfs.szOsFile = std::max<int>(g_real->szOsFile, static_cast<int>(sizeof(WalFile)) + g_real->szOsFile);
    g_vfs.mxPathname = g_real->mxPathname;
    g_vfs.zName = "bottega-wal-buffer";
    g_vfs.xOpen = x_open;
    g_vfs.xDelete = x_delete;
    g_vfs.xAccess = x_access;
    g_vfs.xFullPathname = x_full_pathname;
    g_vfs.xDlOpen = x_dl_open;
    g_vfs.xDlError = x_dl_error;
    g_vfs.xDlSym = x_dl_sym;
    g_vfs.xDlClose = x_dl_close;
    g_vfs.xRandomness = x_randomness;
    g_vfs.xSleep = x_sleep;
    g_vfs.xCurrentTime = x_current_time;
    g_vfs.xGetLastError = x_get_last_error;
    g_vfs.xCurrentTimeInt64 = x_current_time_int64;
    if (sqlite3_vfs_register(&g_vfs, 0) != SQLITE_OK) {
      std::fprintf(stderr, "store: cannot register the WAL buffer VFS\n");
      std::abort();
    }
  });
  return g_vfs.zName;
}

WalBufferStats wal_buffer_stats() {
  return {g_writes_in.load(std::memory_order_relaxed), g_writes_out.load(std::memory_order_relaxed)};
}

}  // namespace bottega::store
