#include "core/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <thread>

namespace bottega {
namespace {

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

bool has_line(const std::string& text, const std::string& line) {
  for (const auto& l : lines(text)) {
    if (l == line) return true;
  }
  return false;
}

TEST(Metrics, CounterWithHelpAndType) {
  Metrics m;
  m.describe("bottega_http_requests_total", "counter", "HTTP requests served.");
  m.inc("bottega_http_requests_total", R"(route="/x",status="200")");
  m.inc("bottega_http_requests_total", R"(route="/x",status="200")", 2);
  m.inc("bottega_http_requests_total", R"(route="/y",status="404")");
  EXPECT_EQ(m.counter_value("bottega_http_requests_total", R"(route="/x",status="200")"), 3);
  EXPECT_EQ(m.counter_value("bottega_http_requests_total", R"(route="/z",status="200")"), 0);
  EXPECT_EQ(m.render(),
            "# HELP bottega_http_requests_total HTTP requests served.\n"
            "# TYPE bottega_http_requests_total counter\n"
            "bottega_http_requests_total{route=\"/x\",status=\"200\"} 3\n"
            "bottega_http_requests_total{route=\"/y\",status=\"404\"} 1\n");
}

TEST(Metrics, UnlabelledAndUndescribedSeries) {
  Metrics m;
  m.inc("jobs_total");
  m.set("queue_depth", "", 2.5);
  m.set("queue_depth", "", 4);
  EXPECT_EQ(m.counter_value("jobs_total"), 1);
  std::string r = m.render();
  EXPECT_TRUE(has_line(r, "# TYPE jobs_total untyped")) << r;
  EXPECT_TRUE(has_line(r, "jobs_total 1")) << r;
  EXPECT_TRUE(has_line(r, "queue_depth 4")) << r;
  EXPECT_EQ(r.find("# HELP"), std::string::npos);
}

TEST(Metrics, FamiliesStayContiguousAndTypeComesFirst) {
  // "a_b{...}" sorts between "a" and "a{...}" as strings; the families must not interleave.
  Metrics m;
  m.describe("a", "counter", "A.");
  m.describe("a_b", "counter", "AB.");
  m.inc("a");
  m.inc("a_b", R"(k="1")");
  m.inc("a", R"(k="2")");
  EXPECT_EQ(m.render(),
            "# HELP a A.\n"
            "# TYPE a counter\n"
            "a 1\n"
            "a{k=\"2\"} 1\n"
            "# HELP a_b AB.\n"
            "# TYPE a_b counter\n"
            "a_b{k=\"1\"} 1\n");
}

TEST(Metrics, HistogramIsCumulativeWithInfSumAndCount) {
  Metrics m;
  m.describe("lat_seconds", "histogram", "Latency.");
  m.observe("lat_seconds", R"(route="/x")", 0.0005);  // on a boundary: le is inclusive
  m.observe("lat_seconds", R"(route="/x")", 0.003);
  m.observe("lat_seconds", R"(route="/x")", 0.3);
  m.observe("lat_seconds", R"(route="/x")", 42);  // beyond the last bucket
  std::string r = m.render();
  auto ls = lines(r);
  ASSERT_EQ(ls.size(), 2u + 15u + 2u) << r;
  EXPECT_EQ(ls[0], "# HELP lat_seconds Latency.");
  EXPECT_EQ(ls[1], "# TYPE lat_seconds histogram");
  EXPECT_EQ(ls[2], R"(lat_seconds_bucket{route="/x",le="0.0005"} 1)");
  EXPECT_EQ(ls[3], R"(lat_seconds_bucket{route="/x",le="0.001"} 1)");
  EXPECT_EQ(ls[4], R"(lat_seconds_bucket{route="/x",le="0.0025"} 1)");
  EXPECT_EQ(ls[5], R"(lat_seconds_bucket{route="/x",le="0.005"} 2)");
  EXPECT_EQ(ls[10], R"(lat_seconds_bucket{route="/x",le="0.25"} 2)");
  EXPECT_EQ(ls[11], R"(lat_seconds_bucket{route="/x",le="0.5"} 3)");
  EXPECT_EQ(ls[12], R"(lat_seconds_bucket{route="/x",le="1"} 3)");
  EXPECT_EQ(ls[13], R"(lat_seconds_bucket{route="/x",le="2.5"} 3)");
  EXPECT_EQ(ls[15], R"(lat_seconds_bucket{route="/x",le="10"} 3)");
  EXPECT_EQ(ls[16], R"(lat_seconds_bucket{route="/x",le="+Inf"} 4)");
  EXPECT_EQ(ls[17], R"(lat_seconds_sum{route="/x"} 42.3035)");
  EXPECT_EQ(ls[18], R"(lat_seconds_count{route="/x"} 4)");
}

TEST(Metrics, UnlabelledHistogramDefaultsToHistogramType) {
  Metrics m;
  m.observe("h", "", 0.01);
  std::string r = m.render();
  EXPECT_TRUE(has_line(r, "# TYPE h histogram")) << r;
  EXPECT_TRUE(has_line(r, R"(h_bucket{le="0.005"} 0)")) << r;
  EXPECT_TRUE(has_line(r, R"(h_bucket{le="0.01"} 1)")) << r;
  EXPECT_TRUE(has_line(r, R"(h_bucket{le="+Inf"} 1)")) << r;
  EXPECT_TRUE(has_line(r, "h_sum 0.01")) << r;
  EXPECT_TRUE(has_line(r, "h_count 1")) << r;
}

TEST(Metrics, NanObservationIsDropped) {
  Metrics m;
  m.observe("h", "", std::nan(""));
  EXPECT_EQ(m.render(), "");
}

TEST(Metrics, GaugeFnIsEvaluatedAtScrapeAndMayReadMetrics) {
  Metrics m;
  double v = 1;
  m.inc("c");
  m.gauge_fn("open_sockets", "Open sockets.", [&] { return v + m.counter_value("c"); });
  EXPECT_TRUE(has_line(m.render(), "open_sockets 2"));
  v = 5;
  std::string r = m.render();
  EXPECT_TRUE(has_line(r, "# TYPE open_sockets gauge")) << r;
  EXPECT_TRUE(has_line(r, "# HELP open_sockets Open sockets.")) << r;
  EXPECT_TRUE(has_line(r, "open_sockets 6")) << r;
}

TEST(Metrics, HelpIsEscaped) {
  Metrics m;
  m.describe("x", "gauge", "line1\nback\\slash");
  m.set("x", "", 1);
  EXPECT_TRUE(has_line(m.render(), R"(# HELP x line1\nback\\slash)"));
}

TEST(Metrics, SpecialValues) {
  Metrics m;
  m.set("g", R"(k="inf")", std::numeric_limits<double>::infinity());
  m.set("g", R"(k="ninf")", -std::numeric_limits<double>::infinity());
  m.set("g", R"(k="nan")", std::numeric_limits<double>::quiet_NaN());
  m.set("g", R"(k="small")", 1e-9);
  std::string r = m.render();
  EXPECT_TRUE(has_line(r, R"(g{k="inf"} +Inf)")) << r;
  EXPECT_TRUE(has_line(r, R"(g{k="ninf"} -Inf)")) << r;
  EXPECT_TRUE(has_line(r, R"(g{k="nan"} NaN)")) << r;
  EXPECT_TRUE(has_line(r, R"(g{k="small"} 1e-09)")) << r;
}

TEST(Metrics, ConcurrentIncrementsAreNotLost) {
  Metrics m;
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        m.inc("n", R"(a="1")");
        m.observe("h", R"(a="1")", 0.001);
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(m.counter_value("n", R"(a="1")"), 40000);
  EXPECT_TRUE(has_line(m.render(), R"(h_count{a="1"} 40000)"));
}

TEST(LabelEscape, EscapesBackslashQuoteNewline) {
  EXPECT_EQ(label_escape("plain /x-y"), "plain /x-y");
  EXPECT_EQ(label_escape("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  EXPECT_EQ(label_escape(""), "");
}

}  // namespace
}  // namespace bottega
