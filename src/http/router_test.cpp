#include "http/router.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace bottega::http {
namespace {

Handler ok_handler() {
  return [](Context&) -> asio::awaitable<Response> { co_return Response{}; };
}

TEST(PercentDecode, DecodesEscapesAndOptionallyPlus) {
  EXPECT_EQ(percent_decode("a%20b%2Fc"), "a b/c");
  EXPECT_EQ(percent_decode("a+b"), "a+b");
  EXPECT_EQ(percent_decode("a+b", true), "a b");
  EXPECT_EQ(percent_decode("%e2%82%AC"), "\xe2\x82\xac");
  EXPECT_EQ(percent_decode(""), "");
}

TEST(PercentDecode, RejectsMalformedEscapes) {
  EXPECT_FALSE(percent_decode("%"));
  EXPECT_FALSE(percent_decode("abc%2"));
  EXPECT_FALSE(percent_decode("%zz"));
  EXPECT_FALSE(percent_decode("%2g"));
}

TEST(Router, MatchesLiteralAndParamSegments) {
  Router r;
  r.add("GET", "/api/v1/conversations", ok_handler(), {});
  r.add("GET", "/api/v1/conversations/{id}", ok_handler(), {});
  r.add("GET", "/api/v1/conversations/{id}/messages/{mid}", ok_handler(), {});

  auto m = r.match("GET", "/api/v1/conversations/c_42/messages/m_7", false);
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(m.pattern, "/api/v1/conversations/{id}/messages/{mid}");
  ASSERT_EQ(m.params.size(), 2u);
  EXPECT_EQ(m.params[0], (std::pair<std::string, std::string>{"id", "c_42"}));
  EXPECT_EQ(m.params[1], (std::pair<std::string, std::string>{"mid", "m_7"}));

  m = r.match("GET", "/api/v1/conversations", false);
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(m.pattern, "/api/v1/conversations");
  EXPECT_TRUE(m.params.empty());
}

TEST(Router, ParamNeedsANonEmptySegment) {
  Router r;
  r.add("GET", "/items/{id}", ok_handler(), {});
  EXPECT_EQ(r.match("GET", "/items/", false).handler, nullptr);
  EXPECT_EQ(r.match("GET", "/items", false).handler, nullptr);
  EXPECT_EQ(r.match("GET", "/items/a/b", false).handler, nullptr);
  EXPECT_NE(r.match("GET", "/items/a", false).handler, nullptr);
}

TEST(Router, LiteralSegmentsWinOverParamsRegardlessOfOrder) {
  Router r;
  r.add("GET", "/a/{x}/c", ok_handler(), {});
  r.add("GET", "/a/{x}/{y}", ok_handler(), {});
  r.add("GET", "/a/b/{y}", ok_handler(), {});
  r.add("GET", "/a/{x}", ok_handler(), {});
  r.add("GET", "/a/new", ok_handler(), {});

  EXPECT_EQ(r.match("GET", "/a/new", false).pattern, "/a/new");
  EXPECT_EQ(r.match("GET", "/a/old", false).pattern, "/a/{x}");
  // The leftmost literal decides: /a/b/{y} beats /a/{x}/c for /a/b/c.
  EXPECT_EQ(r.match("GET", "/a/b/c", false).pattern, "/a/b/{y}");
  EXPECT_EQ(r.match("GET", "/a/z/c", false).pattern, "/a/{x}/c");
  EXPECT_EQ(r.match("GET", "/a/z/q", false).pattern, "/a/{x}/{y}");
}

// Specificity is a 64-bit mask (one bit per segment): longer patterns are refused when added, and
// a longer path matches nothing.
TEST(Router, PatternsAndPathsOfMoreThan64Segments) {
  Router r;
  std::string long_pattern, long_path;
  for (int i = 0; i < 65; ++i) {
    long_pattern += "/{p" + std::to_string(i) + "}";
    long_path += "/x";
  }
  EXPECT_THROW(r.add("GET", long_pattern, ok_handler(), {}), std::logic_error);
  r.add("GET", "/{a}", ok_handler(), {});
  auto m = r.match("GET", long_path, false);
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_FALSE(m.method_not_allowed);
  std::string p64;
  for (int i = 0; i < 64; ++i) p64 += "/{p" + std::to_string(i) + "}";
  r.add("GET", p64, ok_handler(), {});
  EXPECT_EQ(r.match("GET", long_path.substr(2), false).pattern, p64);  // 64 segments
}

TEST(Router, MethodNotAllowedListsTheAllowedMethods) {
  Router r;
  r.add("GET", "/things", ok_handler(), {});
  r.add("POST", "/things", ok_handler(), {});
  auto m = r.match("DELETE", "/things", false);
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_TRUE(m.method_not_allowed);
  EXPECT_EQ(m.allowed, (std::vector<std::string>{"GET", "HEAD", "POST"}));

  m = r.match("GET", "/nothing", false);
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_FALSE(m.method_not_allowed);
}

TEST(Router, AParamRouteWithTheRightMethodBeatsALiteralWithTheWrongOne) {
  Router r;
  r.add("POST", "/a/new", ok_handler(), {});
  r.add("GET", "/a/{id}", ok_handler(), {});
  auto m = r.match("GET", "/a/new", false);
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(m.pattern, "/a/{id}");
}

TEST(Router, HeadMatchesGet) {
  Router r;
  r.add("GET", "/x", ok_handler(), {});
  auto m = r.match("HEAD", "/x", false);
  EXPECT_NE(m.handler, nullptr);
  EXPECT_EQ(m.pattern, "/x");
}

TEST(Router, WebSocketRoutes) {
  Router r;
  r.add_ws(
      "/ws", [](Context&) -> asio::awaitable<std::optional<Response>> { co_return std::nullopt; },
      [](Context&, WebSocket&) -> asio::awaitable<void> { co_return; }, {});
  auto m = r.match("GET", "/ws", true);
  EXPECT_NE(m.ws, nullptr);
  EXPECT_NE(m.ws_authorize, nullptr);
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_EQ(m.pattern, "/ws");

  m = r.match("GET", "/ws", false);
  EXPECT_EQ(m.ws, nullptr);
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_TRUE(m.upgrade_required);
  EXPECT_FALSE(m.method_not_allowed);

  ASSERT_EQ(r.entries().size(), 1u);
  EXPECT_EQ(r.entries()[0].method, "WS");
}

TEST(Router, RootPath) {
  Router r;
  r.add("GET", "/", ok_handler(), {});
  EXPECT_NE(r.match("GET", "/", false).handler, nullptr);
  EXPECT_EQ(r.match("GET", "/x", false).handler, nullptr);
}

TEST(Context, ParamQueryAndHeader) {
  Request req;
  req.set("X-Visitor-Token", "tok");
  Context ctx{
      req,         "/p", "q=caf%C3%A9+au+lait&empty=&flag&q=second&bad=%zz&a%20b=1", {{"id", "42"}},
      "127.0.0.1", "/p", {}};
  EXPECT_EQ(ctx.param("id"), "42");
  EXPECT_EQ(ctx.param("nope"), "");
  EXPECT_EQ(ctx.query_param("q"), "café au lait");
  EXPECT_EQ(ctx.query_param("empty"), "");
  EXPECT_EQ(ctx.query_param("flag"), "");
  EXPECT_EQ(ctx.query_param("a b"), "1");
  EXPECT_FALSE(ctx.query_param("missing"));
  EXPECT_FALSE(ctx.query_param("bad"));
  EXPECT_EQ(ctx.header("x-visitor-token"), "tok");
  EXPECT_EQ(ctx.header("Authorization"), "");
}

}  // namespace
}  // namespace bottega::http
