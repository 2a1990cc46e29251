#include "bottega/store.hpp"

#include <future>

#include "store/postgres/postgres_store.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace bottega::store {

int64_t Row::i64(size_t i) const {
  const Value& v = cols.at(i);
  if (auto* n = std::get_if<int64_t>(&v)) return *n;
  return 0;
}

const std::string& Row::str(size_t i) const {
  static const std::string kEmpty;
  const Value& v = cols.at(i);
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  return kEmpty;
}

std::optional<std::string> Row::opt_str(size_t i) const {
  const Value& v = cols.at(i);
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  return std::nullopt;
}

std::optional<int64_t> Row::opt_i64(size_t i) const {
  const Value& v = cols.at(i);
  if (auto* n = std::get_if<int64_t>(&v)) return *n;
  return std::nullopt;
}

Result<std::unique_ptr<Store>> open_store(const std::string& url, const StoreOptions& opts,
                                          bool migrate) {
  constexpr std::string_view kSqlite = "sqlite://";
  if (url.rfind(kSqlite, 0) == 0) {
    std::string path = url.substr(kSqlite.size());  // "sqlite:///abs" -> "/abs"
    if (path.empty()) return Error::invalid("store.url", "sqlite URL has no file path", "invalid_config");
    return open_sqlite(path, opts, migrate);
  }
  if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0)
    return open_postgres(url, opts, migrate);
  return Error::invalid("store.url", "unsupported store URL (sqlite:// or postgresql://)", "invalid_config");
}

Status write_sync(Store& s, std::function<Status(Tx&)> fn) {
  std::promise<Status> p;
  auto f = p.get_future();
  s.write(std::move(fn), [&p](Status st) { p.set_value(std::move(st)); });
  return f.get();
}

void read_sync(Store& s, std::function<void(Tx&)> fn) {
  std::promise<void> p;
  auto f = p.get_future();
  s.read([&](Tx& tx) {
    try {
      fn(tx);
    } catch (...) {
      p.set_exception(std::current_exception());
      return;
    }
    p.set_value();
  });
  f.get();
}

}  // namespace bottega::store
