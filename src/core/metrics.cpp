#include "core/metrics.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <optional>

namespace bottega {

namespace {

constexpr std::array<double, 14> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                             0.1,    0.25,  0.5,    1,     2.5,  5,     10};
// The same bounds as rendered labels (to_chars would pick "5e-04" for 0.0005).
constexpr std::array<std::string_view, 14> kBucketLabels = {
    R"(le="0.0005")", R"(le="0.001")", R"(le="0.0025")", R"(le="0.005")", R"(le="0.01")",
    R"(le="0.025")",  R"(le="0.05")",  R"(le="0.1")",    R"(le="0.25")",  R"(le="0.5")",
    R"(le="1")",      R"(le="2.5")",   R"(le="5")",      R"(le="10")"};
constexpr char kHistSep = '\x1f';

// Builds a lookup key in a per-thread buffer, so the hot path allocates only for new series.
const std::string& series_key(std::string_view name, std::string_view labels) {
  thread_local std::string key;
  key.assign(name);
  if (!labels.empty()) {
    key += '{';
    key += labels;
    key += '}';
  }
  return key;
}

const std::string& hist_key(std::string_view name, std::string_view labels) {
  thread_local std::string key;
  key.assign(name);
  key += kHistSep;
  key += labels;
  return key;
}

void append_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, ec == std::errc{} ? end : buf);
  }
}

// HELP text escapes backslash and newline (the text format's rule for docstrings).
void append_help(std::string& out, std::string_view help) {
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

// `name{labels} value` or `name value`; `extra` is one more rendered label (le="...").
void append_sample(std::string& out, std::string_view name, std::string_view suffix,
                   std::string_view labels, std::string_view extra, double value) {
  out += name;
  out += suffix;
  if (!labels.empty() || !extra.empty()) {
    out += '{';
    out += labels;
    if (!labels.empty() && !extra.empty()) out += ',';
    out += extra;
    out += '}';
  }
  out += ' ';
  append_number(out, value);
  out += '\n';
}

}  // namespace

void Metrics::describe(std::string_view name, std::string_view type, std::string_view help) {
  std::lock_guard lock(mu_);
  auto it = meta_.find(name);
  if (it == meta_.end()) {
    meta_.emplace(std::string(name), std::make_pair(std::string(type), std::string(help)));
  } else {
    it->second = {std::string(type), std::string(help)};
  }
}

void Metrics::inc(std::string_view name, std::string_view labels, double by) {
  const std::string& key = series_key(name, labels);
  std::lock_guard lock(mu_);
  auto it = values_.find(key);
  if (it == values_.end()) it = values_.emplace(key, 0.0).first;
  it->second += by;
}

void Metrics::set(std::string_view name, std::string_view labels, double value) {
  const std::string& key = series_key(name, labels);
  std::lock_guard lock(mu_);
  auto it = values_.find(key);
  if (it == values_.end()) {
    values_.emplace(key, value);
  } else {
    it->second = value;
  }
}

void Metrics::observe(std::string_view name, std::string_view labels, double seconds) {
  if (std::isnan(seconds)) return;  // would poison _sum; a NaN duration is a caller bug
  size_t bucket = static_cast<size_t>(std::lower_bound(kBuckets.begin(), kBuckets.end(), seconds) -
                                      kBuckets.begin());
  const std::string& key = hist_key(name, labels);
  std::lock_guard lock(mu_);
  auto it = hists_.find(key);
  if (it == hists_.end()) {
    it = hists_.emplace(key, Hist{}).first;
    it->second.counts.assign(kBuckets.size(), 0.0);
  }
  Hist& h = it->second;
  if (bucket < h.counts.size()) h.counts[bucket] += 1;  // else only +Inf (== count)
  h.sum += seconds;
  h.count += 1;
}

void Metrics::gauge_fn(std::string_view name, std::string_view help, std::function<double()> fn) {
  std::lock_guard lock(mu_);
  meta_.insert_or_assign(std::string(name),
                         std::make_pair(std::string("gauge"), std::string(help)));
  fns_.insert_or_assign(std::string(name), std::move(fn));
}

double Metrics::counter_value(std::string_view name, std::string_view labels) const {
  const std::string& key = series_key(name, labels);
  std::lock_guard lock(mu_);
  auto it = values_.find(key);
  return it == values_.end() ? 0.0 : it->second;
}

std::string Metrics::render() const {
  // Scrape-time gauges run outside the lock: a callback may itself read these metrics.
  std::vector<std::pair<std::string, std::function<double()>>> fns;
  {
    std::lock_guard lock(mu_);
    fns.assign(fns_.begin(), fns_.end());
  }
  std::map<std::string, double, std::less<>> fn_values;
  for (auto& [name, fn] : fns) fn_values.emplace(name, fn ? fn() : 0.0);

  struct Family {
    std::vector<std::pair<std::string_view, double>> values;      // labels, value
    std::vector<std::pair<std::string_view, const Hist*>> hists;  // labels, histogram
    std::optional<double> fn_value;
  };

  std::string out;
  std::lock_guard lock(mu_);
  // Group series by family: a family's lines must be contiguous, and "a_b{...}" sorts between
  // "a" and "a{...}", so the map order alone does not group them.
  std::map<std::string_view, Family> families;
  for (const auto& [key, value] : values_) {
    std::string_view k = key;
    size_t brace = k.find('{');
    std::string_view name = k.substr(0, brace);
    std::string_view labels;
    if (brace != std::string_view::npos) labels = k.substr(brace + 1, k.size() - brace - 2);
    families[name].values.emplace_back(labels, value);
  }
  for (const auto& [key, hist] : hists_) {
    std::string_view k = key;
    size_t sep = k.find(kHistSep);
    families[k.substr(0, sep)].hists.emplace_back(k.substr(sep + 1), &hist);
  }
  for (const auto& [name, value] : fn_values) families[name].fn_value = value;

  out.reserve(families.size() * 128 + hists_.size() * 64 * (kBuckets.size() + 3));
  for (const auto& [name, fam] : families) {
    auto meta = meta_.find(name);
    std::string_view type = "untyped";
    if (meta != meta_.end()) {
      type = meta->second.first;
      out += "# HELP ";
      out += name;
      out += ' ';
      append_help(out, meta->second.second);
      out += '\n';
    } else if (!fam.hists.empty()) {
      type = "histogram";
    }
    out += "# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';

    if (fam.fn_value) append_sample(out, name, "", "", "", *fam.fn_value);
    for (const auto& [labels, value] : fam.values) append_sample(out, name, "", labels, "", value);
    for (const auto& [labels, h] : fam.hists) {
      double cumulative = 0;
      for (size_t i = 0; i < kBuckets.size(); ++i) {
        cumulative += h->counts[i];
        append_sample(out, name, "_bucket", labels, kBucketLabels[i], cumulative);
      }
      append_sample(out, name, "_bucket", labels, "le=\"+Inf\"", h->count);
      append_sample(out, name, "_sum", labels, "", h->sum);
      append_sample(out, name, "_count", labels, "", h->count);
    }
  }
  return out;
}

std::string label_escape(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace bottega
