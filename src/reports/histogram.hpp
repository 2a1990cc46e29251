// Durations (whole seconds) counted in log-linear bins, so percentiles over any range come from
// summed bin counts instead of the raw values. Bins: one per second below 64 s; above, each power
// of two is split into 32 equal bins, so a bin is at most 1/32 of its lower bound wide. A
// percentile is reported as the midpoint of its bin: it differs from the exact value (the
// nearest-rank percentile of the same seconds) by at most half a bin, i.e. at most 1/64 (1.6 %)
// of the exact value above 64 s, and not at all below. Values are capped at 2^40 s.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bottega::reports {

int bin_of(int64_t seconds);           // seconds < 0 count as 0
int64_t bin_lower(int bin);            // smallest value in the bin
int64_t bin_width(int bin);

class Histogram {
 public:
  void add(int64_t seconds, int64_t count = 1) { add_bin(bin_of(seconds), count); }
  void add_bin(int bin, int64_t count);
  void merge(const Histogram& o);
  int64_t count() const { return total_; }
  // Nearest-rank percentile (p in (0, 100]): the midpoint of the bin holding the value of rank
  // ceil(p/100 * n); nullopt when empty.
  std::optional<double> percentile(double p) const;
  // Sparse text form stored in the database: "bin:count bin:count ..." (bins ascending).
  std::string encode() const;
  // Accepts what encode() writes; ignores malformed pairs. Adds to this histogram.
  void merge_encoded(std::string_view s);
  static Histogram decode(std::string_view s);
  bool empty() const { return total_ == 0; }

 private:
  std::vector<int64_t> bins_;  // dense: index = bin (at most 64 + 35 * 32 entries)
  int64_t total_ = 0;
};

}  // namespace bottega::reports
