#include "reports/histogram.hpp"

#include <cmath>
#include <charconv>

namespace bottega::reports {

namespace {
constexpr int kExact = 64;     // bins 0..63: one per second
constexpr int kSub = 32;       // bins per power of two above
constexpr int kMaxExp = 40;
}  // namespace

int bin_of(int64_t v) {
  if (v < 0) v = 0;
  if (v < kExact) return static_cast<int>(v);
  int e = 63 - __builtin_clzll(static_cast<unsigned long long>(v));  // floor(log2 v), >= 6
  if (e > kMaxExp) {
    e = kMaxExp;
    v = (int64_t{1} << (kMaxExp + 1)) - 1;
  }
  int sub = static_cast<int>((v >> (e - 5)) & (kSub - 1));
  return kExact + (e - 6) * kSub + sub;
}

int64_t bin_lower(int bin) {
  if (bin < kExact) return bin;
  int e = (bin - kExact) / kSub + 6;
  int sub = (bin - kExact) % kSub;
  return (int64_t{kSub} + sub) << (e - 5);
}

int64_t bin_width(int bin) {
  if (bin < kExact) return 1;
  int e = (bin - kExact) / kSub + 6;
  return int64_t{1} << (e - 5);
}

void Histogram::add_bin(int bin, int64_t count) {
  if (count == 0 || bin < 0 || bin > kExact + (kMaxExp - 5) * kSub) return;
  if (static_cast<size_t>(bin) >= bins_.size()) bins_.resize(static_cast<size_t>(bin) + 1, 0);
  bins_[static_cast<size_t>(bin)] += count;
  total_ += count;
}

void Histogram::merge(const Histogram& o) {
  if (o.bins_.size() > bins_.size()) bins_.resize(o.bins_.size(), 0);
  for (size_t i = 0; i < o.bins_.size(); ++i) bins_[i] += o.bins_[i];
  total_ += o.total_;
}

std::optional<double> Histogram::percentile(double p) const {
  if (total_ <= 0) return std::nullopt;
  auto rank = static_cast<int64_t>(std::ceil(p / 100.0 * static_cast<double>(total_) - 1e-9));
  if (rank < 1) rank = 1;
  int64_t seen = 0;
  int last = 0;
  for (size_t i = 0; i < bins_.size(); ++i) {
    if (bins_[i] == 0) continue;
    int b = static_cast<int>(i);
    last = b;
    seen += bins_[i];
    if (seen >= rank) {
      if (b < kExact) return static_cast<double>(b);
      return static_cast<double>(bin_lower(b)) + static_cast<double>(bin_width(b) - 1) / 2.0;
    }
  }
  return static_cast<double>(bin_lower(last));
}

std::string Histogram::encode() const {
  std::string out;
  for (size_t i = 0; i < bins_.size(); ++i) {
    if (bins_[i] == 0) continue;
    if (!out.empty()) out += ' ';
    out += std::to_string(i);
    out += ':';
    out += std::to_string(bins_[i]);
  }
  return out;
}

void Histogram::merge_encoded(std::string_view s) {
  const char* p = s.data();
  const char* end = p + s.size();
  while (p < end) {
    int b = 0;
    int64_t c = 0;
    auto r1 = std::from_chars(p, end, b);
    if (r1.ec == std::errc() && r1.ptr < end && *r1.ptr == ':') {
      auto r2 = std::from_chars(r1.ptr + 1, end, c);
      if (r2.ec == std::errc()) {
        add_bin(b, c);
        p = r2.ptr;
      } else {
        p = r1.ptr + 1;
      }
    } else {
      p = r1.ptr == p ? p + 1 : r1.ptr;
    }
    while (p < end && *p != ' ') ++p;  // skip the rest of a malformed pair
    while (p < end && *p == ' ') ++p;
  }
}

Histogram Histogram::decode(std::string_view s) {
  Histogram h;
  h.merge_encoded(s);
  return h;
}

}  // namespace bottega::reports
