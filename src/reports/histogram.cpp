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
  if (count == 0) return;
  auto& c = bins_[bin];
  c += count;
  total_ += count;
  if (c == 0) bins_.erase(bin);
}

void Histogram::merge(const Histogram& o) {
  for (const auto& [b, c] : o.bins_) add_bin(b, c);
}

std::optional<double> Histogram::percentile(double p) const {
  if (total_ <= 0) return std::nullopt;
  auto rank = static_cast<int64_t>(std::ceil(p / 100.0 * static_cast<double>(total_) - 1e-9));
  if (rank < 1) rank = 1;
  int64_t seen = 0;
  for (const auto& [b, c] : bins_) {
    seen += c;
    if (seen >= rank) {
      if (b < kExact) return static_cast<double>(b);
      return static_cast<double>(bin_lower(b)) + static_cast<double>(bin_width(b) - 1) / 2.0;
    }
  }
  return static_cast<double>(bin_lower(bins_.rbegin()->first));
}

std::string Histogram::encode() const {
  std::string out;
  for (const auto& [b, c] : bins_) {
    if (!out.empty()) out += ' ';
    out += std::to_string(b);
    out += ':';
    out += std::to_string(c);
  }
  return out;
}

Histogram Histogram::decode(std::string_view s) {
  Histogram h;
  size_t i = 0;
  while (i < s.size()) {
    size_t sp = s.find(' ', i);
    if (sp == std::string_view::npos) sp = s.size();
    auto pair = s.substr(i, sp - i);
    size_t colon = pair.find(':');
    if (colon != std::string_view::npos) {
      int b = 0;
      int64_t c = 0;
      auto r1 = std::from_chars(pair.data(), pair.data() + colon, b);
      auto r2 = std::from_chars(pair.data() + colon + 1, pair.data() + pair.size(), c);
      if (r1.ec == std::errc() && r2.ec == std::errc() && b >= 0) h.add_bin(b, c);
    }
    i = sp + 1;
  }
  return h;
}

}  // namespace bottega::reports
