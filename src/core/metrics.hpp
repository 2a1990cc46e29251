// Process metrics rendered in the Prometheus text exposition format (version 0.0.4).
// Thread-safe. Series are created on first use; names follow Prometheus conventions
// (bottega_http_requests_total, bottega_http_request_duration_seconds, ...).
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace bottega {

class Metrics {
 public:
  // Declares a family's type ("counter", "gauge", "histogram") and help text. Optional but
  // recommended; undeclared families render as "untyped".
  void describe(std::string_view name, std::string_view type, std::string_view help);
  // labels is the rendered label set without braces: `route="/x",status="200"` (or empty).
  void inc(std::string_view name, std::string_view labels = {}, double by = 1.0);
  void set(std::string_view name, std::string_view labels, double value);
  // Histogram observation in seconds, default latency buckets 0.5 ms .. 10 s.
  void observe(std::string_view name, std::string_view labels, double seconds);
  // A gauge computed at scrape time.
  void gauge_fn(std::string_view name, std::string_view help, std::function<double()> fn);

  double counter_value(std::string_view name, std::string_view labels = {}) const;  // tests
  std::string render() const;

 private:
  struct Hist {
    std::vector<double> counts;  // per bucket, non-cumulative
    double sum = 0;
    double count = 0;
  };
  mutable std::mutex mu_;
  std::map<std::string, std::pair<std::string, std::string>, std::less<>> meta_;  // name -> type, help
  std::map<std::string, double, std::less<>> values_;  // "name{labels}" -> value
  std::map<std::string, Hist, std::less<>> hists_;     // "name\x1flabels" -> histogram
  std::map<std::string, std::function<double()>, std::less<>> fns_;
};

// Escapes a label value for the text format (backslash, quote, newline).
std::string label_escape(std::string_view v);

}  // namespace bottega
