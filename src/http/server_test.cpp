#include "http/server.hpp"
#include "http/exception_text.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace bottega::http {
namespace {

namespace bhttp = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// A synchronous HTTP/1.1 client over one connection (keep-alive by default).
class SyncClient {
 public:
  explicit SyncClient(uint16_t port) : stream_(io_) {
    stream_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }

  Response send(Request req) {
    if (req.version() == 0) req.version(11);
    req.set(bhttp::field::host, "127.0.0.1");
    req.prepare_payload();
    bhttp::write(stream_, req);
    return read(req.method() == bhttp::verb::head);
  }

  Response get(std::string target) {
    Request req{bhttp::verb::get, target, 11};
    return send(std::move(req));
  }

  Response read(bool head = false) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 << 20);
    parser.skip(head);
    bhttp::read(stream_, buffer_, parser);
    return parser.release();
  }

  void write_raw(std::string_view bytes) { asio::write(stream_.socket(), asio::buffer(bytes)); }

  // Reads until the server closes; returns the error that ended the read.
  beast::error_code read_until_closed(std::chrono::seconds limit = 10s) {
    stream_.expires_after(limit);
    char buf[1024];
    beast::error_code ec;
    while (!ec) stream_.read_some(asio::buffer(buf), ec);
    return ec;
  }

  beast::tcp_stream& stream() { return stream_; }

 private:
  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

boost::json::value body_json(const Response& res) { return boost::json::parse(res.body()); }

// The server records a request's metrics after writing its response, so a client can see the
// response a moment before the counter moves.
double eventually_equals(const Metrics& m, std::string_view name, std::string_view labels,
                         double want) {
  double v = m.counter_value(name, labels);
  for (int i = 0; i < 200 && v != want; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    v = m.counter_value(name, labels);
  }
  return v;
}

std::string error_code_of(const Response& res) {
  return std::string(body_json(res).at("error").at("code").as_string());
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.add("GET", "/items/{id}",
                [](Context& ctx) -> asio::awaitable<Response> {
                  boost::json::object o;
                  o["id"] = ctx.param("id");
                  o["path"] = ctx.path;
                  o["query"] = ctx.query;
                  o["q"] = ctx.query_param("q").value_or("<none>");
                  o["route"] = ctx.route;
                  o["remote_ip"] = ctx.remote_ip;
                  co_return json_response(ctx.req, 200, boost::json::serialize(o));
                },
                {});
    router_.add("GET", "/items/special",
                [](Context& ctx) -> asio::awaitable<Response> {
                  co_return text_response(ctx.req, 200, "special", "text/plain; charset=utf-8");
                },
                {});
    router_.add("POST", "/echo",
                [](Context& ctx) -> asio::awaitable<Response> {
                  co_return text_response(ctx.req, 200, ctx.req.body(), "application/octet-stream");
                },
                {});
    router_.add("GET", "/throw",
                [](Context&) -> asio::awaitable<Response> {
                  throw std::runtime_error("boom (expected in this test)");
                  co_return Response{};
                },
                {});
    router_.add("GET", "/slow",
                [](Context& ctx) -> asio::awaitable<Response> {
                  asio::steady_timer t(co_await asio::this_coro::executor, 300ms);
                  co_await t.async_wait(asio::use_awaitable);
                  co_return text_response(ctx.req, 200, "slow", "text/plain; charset=utf-8");
                },
                {});
    router_.add("GET", "/nocontent",
                [](Context& ctx) -> asio::awaitable<Response> {
                  co_return text_response(ctx.req, 204, "", "text/plain");
                },
                {});
    router_.add_ws(
        "/ws",
        [](Context& ctx) -> asio::awaitable<std::optional<Response>> {
          if (ctx.query_param("token") != "good") {
            co_return error_response(ctx.req, Error::unauthenticated());
          }
          co_return std::nullopt;
        },
        [](Context& ctx, WebSocket& ws) -> asio::awaitable<void> {
          beast::flat_buffer buf;
          for (;;) {
            auto [ec, n] = co_await ws.async_read(buf, asio::as_tuple(asio::use_awaitable));
            if (ec) co_return;
            ws.text(ws.got_text());
            auto [wec, wn] =
                co_await ws.async_write(buf.data(), asio::as_tuple(asio::use_awaitable));
            if (wec) co_return;
            buf.consume(buf.size());
          }
        },
        {});
  }

  void TearDown() override { shutdown(); }

  void start(ServerOptions opts = {}) {
    opts.listen = "127.0.0.1:0";
    server_ = std::make_unique<Server>(io_, std::move(opts), router_, metrics_);
    auto port = server_->start();
    ASSERT_TRUE(port.ok()) << port.error().message;
    port_ = *port;
    ASSERT_NE(port_, 0);
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }

  // Stops the server and waits for every connection to drain and io.run() to return.
  void shutdown() {
    if (server_) server_->stop();
    work_.reset();
    for (auto& t : threads_) t.join();
    threads_.clear();
    server_.reset();
  }

  Metrics metrics_;
  Router router_;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
      asio::make_work_guard(io_)};
  std::vector<std::thread> threads_;
  std::unique_ptr<Server> server_;
  uint16_t port_ = 0;
};

TEST_F(ServerTest, StartReportsTheBoundPort) {
  start();
  EXPECT_GT(port_, 0);
}

TEST_F(ServerTest, StartFailsOnABadListenAddress) {
  Server s(io_, ServerOptions{.listen = "127.0.0.1:notaport"}, router_, metrics_);
  auto r = s.start();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "server.listen");
}

TEST_F(ServerTest, RoutesWithDecodedParamsAndQuery) {
  start();
  SyncClient c(port_);
  auto res = c.get("/items/caf%C3%A9%20x?q=a+b%26c&z=1");
  ASSERT_EQ(res.result_int(), 200);
  auto j = body_json(res);
  EXPECT_EQ(j.at("id").as_string(), "café x");
  EXPECT_EQ(j.at("path").as_string(), "/items/café x");
  EXPECT_EQ(j.at("query").as_string(), "q=a+b%26c&z=1");
  EXPECT_EQ(j.at("q").as_string(), "a b&c");
  EXPECT_EQ(j.at("route").as_string(), "/items/{id}");
  EXPECT_EQ(j.at("remote_ip").as_string(), "127.0.0.1");
  EXPECT_EQ(res[bhttp::field::content_type], "application/json; charset=utf-8");
  EXPECT_EQ(res[bhttp::field::cache_control], "no-store");
  EXPECT_EQ(res["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ(res["Referrer-Policy"], "no-referrer");
  EXPECT_EQ(res[bhttp::field::server], "bottega");

  res = c.get("/items/special");
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "special");
}

TEST_F(ServerTest, EncodedSlashAndMalformedEscapesAreBadRequests) {
  start();
  {
    SyncClient c(port_);
    auto res = c.get("/items/a%2Fb");
    EXPECT_EQ(res.result_int(), 400);
    EXPECT_EQ(error_code_of(res), "invalid_path");
  }
  {
    SyncClient c(port_);
    auto res = c.get("/items/a%zz");
    EXPECT_EQ(res.result_int(), 400);
  }
}

TEST_F(ServerTest, UnknownPathIs404Json) {
  start();
  SyncClient c(port_);
  auto res = c.get("/nope");
  EXPECT_EQ(res.result_int(), 404);
  EXPECT_EQ(error_code_of(res), "not_found");
  EXPECT_EQ(res[bhttp::field::content_type], "application/json; charset=utf-8");
  EXPECT_EQ(res["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ(res["Referrer-Policy"], "no-referrer");
}

TEST_F(ServerTest, WrongMethodIs405WithAllow) {
  start();
  SyncClient c(port_);
  auto res = c.send(Request{bhttp::verb::delete_, "/echo", 11});
  EXPECT_EQ(res.result_int(), 405);
  EXPECT_EQ(error_code_of(res), "method_not_allowed");
  EXPECT_EQ(res[bhttp::field::allow], "POST");
  // The connection is still usable.
  EXPECT_EQ(c.get("/items/1").result_int(), 200);
}

TEST_F(ServerTest, HeadAnswersWithHeadersOnly) {
  start();
  SyncClient c(port_);
  const auto get = c.get("/items/special");
  auto res = c.send(Request{bhttp::verb::head, "/items/special", 11});
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res[bhttp::field::content_length], std::to_string(get.body().size()));
  EXPECT_TRUE(res.body().empty());
  // Nothing extra was sent: the next response parses cleanly.
  EXPECT_EQ(c.get("/items/special").body(), "special");
}

TEST_F(ServerTest, NoContentHasNoBody) {
  start();
  SyncClient c(port_);
  auto res = c.get("/nocontent");
  EXPECT_EQ(res.result_int(), 204);
  EXPECT_EQ(c.get("/items/special").body(), "special");
}

TEST_F(ServerTest, BodyOverTheLimitIs413) {
  start(ServerOptions{.max_body_bytes = 1024});
  {
    SyncClient c(port_);
    Request req{bhttp::verb::post, "/echo", 11};
    req.body() = std::string(64 << 10, 'x');
    auto res = c.send(std::move(req));
    EXPECT_EQ(res.result_int(), 413);
    EXPECT_EQ(error_code_of(res), "payload_too_large");
    EXPECT_FALSE(res.keep_alive());
  }
  {
    // Chunked: the limit trips while reading the body.
    SyncClient c(port_);
    std::string raw = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 8; ++i) raw += "200\r\n" + std::string(512, 'y') + "\r\n";
    raw += "0\r\n\r\n";
    c.write_raw(raw);
    auto res = c.read();
    EXPECT_EQ(res.result_int(), 413);
    EXPECT_EQ(error_code_of(res), "payload_too_large");
  }
  {
    // Under the limit is fine.
    SyncClient c(port_);
    Request req{bhttp::verb::post, "/echo", 11};
    req.body() = std::string(1000, 'z');
    auto res = c.send(std::move(req));
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_EQ(res.body(), std::string(1000, 'z'));
  }
}

// A route with a larger body limit reads a body past the server's limit only for a caller its
// authorizer lets in; anyone else gets the refusal before a byte of the body is read.
TEST_F(ServerTest, ALargerBodyIsReadOnlyForACallerTheRoutesAuthorizerLetsIn) {
  std::atomic<int> authorized{0};
  RouteDoc doc;
  doc.max_body_bytes = 64 << 10;
  doc.too_large_code = "upload_too_large";
  doc.body_authorize = [&authorized](Context& ctx) -> asio::awaitable<std::optional<Response>> {
    ++authorized;
    if (ctx.header("Authorization") != "Bearer good" || ctx.query_param("name") != "f.bin")
      co_return error_response(ctx.req, Error::unauthenticated());
    co_return std::nullopt;
  };
  router_.add("POST", "/upload",
              [](Context& ctx) -> asio::awaitable<Response> {
                co_return text_response(ctx.req, 200, std::to_string(ctx.req.body().size()), "text/plain");
              },
              doc);
  start(ServerOptions{.max_body_bytes = 1024});
  {
    // Headers only, a large body announced: refused at once, the connection closed.
    SyncClient c(port_);
    c.write_raw("POST /upload?name=f.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 60000\r\n\r\n");
    auto res = c.read();
    EXPECT_EQ(res.result_int(), 401);
    EXPECT_EQ(error_code_of(res), "unauthenticated");
    EXPECT_FALSE(res.keep_alive());
    EXPECT_EQ(c.read_until_closed(), beast::error_code(asio::error::eof));
  }
  {
    // Chunked (no length announced): the same.
    SyncClient c(port_);
    c.write_raw("POST /upload?name=f.bin HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    EXPECT_EQ(c.read().result_int(), 401);
  }
  EXPECT_EQ(authorized.load(), 2);
  {
    // Let in: the route's limit applies.
    SyncClient c(port_);
    Request req{bhttp::verb::post, "/upload?name=f.bin", 11};
    req.set(bhttp::field::authorization, "Bearer good");
    req.body() = std::string(60000, 'x');
    auto res = c.send(std::move(req));
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_EQ(res.body(), "60000");
    Request over{bhttp::verb::post, "/upload?name=f.bin", 11};
    over.set(bhttp::field::authorization, "Bearer good");
    over.body() = std::string(70000, 'x');
    auto res2 = c.send(std::move(over));
    EXPECT_EQ(res2.result_int(), 413);
    EXPECT_EQ(error_code_of(res2), "upload_too_large");
  }
  EXPECT_EQ(authorized.load(), 4);
  {
    // Within the server's limit the authorizer is not asked (the handler authenticates, as any).
    SyncClient c(port_);
    Request req{bhttp::verb::post, "/upload", 11};
    req.body() = std::string(1000, 'x');
    EXPECT_EQ(c.send(std::move(req)).body(), "1000");
  }
  EXPECT_EQ(authorized.load(), 4);
  EXPECT_EQ(eventually_equals(metrics_, "bottega_http_requests_total",
                              R"(method="POST",route="/upload",status="401")", 2),
            2);
}

TEST(ExceptionText, WhatOrUnknown) {
  EXPECT_EQ(exception_text(std::make_exception_ptr(std::runtime_error("boom"))), "boom");
  EXPECT_EQ(exception_text(std::make_exception_ptr(42)), "unknown exception");
  EXPECT_EQ(exception_text(nullptr), "unknown exception");
}

TEST(RouterBodyLimit, ALargerBodyLimitNeedsAnAuthorizer) {
  Router r;
  RouteDoc doc;
  doc.max_body_bytes = 1 << 20;
  auto h = [](Context& ctx) -> asio::awaitable<Response> { co_return text_response(ctx.req, 200, "", "text/plain"); };
  EXPECT_THROW(r.add("POST", "/u", h, doc), std::logic_error);
}

TEST_F(ServerTest, ExpectContinueGetsA100First) {
  start();
  SyncClient c(port_);
  c.write_raw(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  auto cont = c.read();
  EXPECT_EQ(cont.result_int(), 100);
  c.write_raw("hello");
  auto res = c.read();
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "hello");
}

TEST_F(ServerTest, MalformedRequestIs400) {
  start();
  SyncClient c(port_);
  c.write_raw("GET /items/1 HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n");
  auto res = c.read();
  EXPECT_EQ(res.result_int(), 400);
  EXPECT_EQ(error_code_of(res), "bad_request");
  EXPECT_FALSE(res.keep_alive());
}

TEST_F(ServerTest, OversizedHeadersAre431) {
  start(ServerOptions{.max_header_bytes = 1024});
  SyncClient c(port_);
  Request req{bhttp::verb::get, "/items/1", 11};
  req.set("X-Big", std::string(4096, 'h'));
  auto res = c.send(std::move(req));
  EXPECT_EQ(res.result_int(), 431);
}

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  start();
  SyncClient c(port_);
  for (int i = 0; i < 5; ++i) {
    Request req{bhttp::verb::post, "/echo", 11};
    req.body() = "n" + std::to_string(i);
    auto res = c.send(std::move(req));
    ASSERT_EQ(res.result_int(), 200);
    EXPECT_EQ(res.body(), "n" + std::to_string(i));
    EXPECT_TRUE(res.keep_alive());
  }
  EXPECT_EQ(server_->connection_count(), 1u);
  // Connection: close is honoured.
  Request req{bhttp::verb::get, "/items/1", 11};
  req.keep_alive(false);
  auto res = c.send(std::move(req));
  EXPECT_FALSE(res.keep_alive());
  EXPECT_EQ(c.read_until_closed(), beast::error_code(asio::error::eof));
}

TEST_F(ServerTest, HandlerExceptionIs500AndTheServerKeepsServing) {
  start();
  SyncClient c(port_);
  auto res = c.get("/throw");
  EXPECT_EQ(res.result_int(), 500);
  EXPECT_EQ(error_code_of(res), "internal");
  EXPECT_EQ(body_json(res).at("error").at("message").as_string(), "internal error");
  EXPECT_EQ(c.get("/items/1").result_int(), 200);
  SyncClient other(port_);
  EXPECT_EQ(other.get("/items/2").result_int(), 200);
  EXPECT_EQ(eventually_equals(metrics_, "bottega_http_handler_exceptions_total", {}, 1), 1);
}

TEST_F(ServerTest, WebSocketEchoRoundTrip) {
  start();
  asio::io_context cio;
  websocket::stream<beast::tcp_stream> ws(cio);
  beast::get_lowest_layer(ws).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
  websocket::response_type hres;
  ws.handshake(hres, "127.0.0.1", "/ws?token=good");
  EXPECT_EQ(hres.result_int(), 101);
  EXPECT_EQ(hres[bhttp::field::server], "bottega");
  EXPECT_EQ(server_->connection_count(), 1u);

  for (std::string msg : {"hello", "second message"}) {
    ws.text(true);
    ws.write(asio::buffer(msg));
    beast::flat_buffer buf;
    ws.read(buf);
    EXPECT_TRUE(ws.got_text());
    EXPECT_EQ(beast::buffers_to_string(buf.data()), msg);
  }
  // Messages over 64 KiB are refused by closing the WebSocket.
  ws.binary(true);
  ws.write(asio::buffer(std::string((64 << 10) + 1, 'x')));
  beast::flat_buffer buf;
  beast::error_code ec;
  ws.read(buf, ec);
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(ws.reason().code, websocket::close_code::too_big);
  EXPECT_EQ(eventually_equals(metrics_, "bottega_http_requests_total",
                              R"(method="GET",route="/ws",status="101")", 1),
            1);
}

TEST_F(ServerTest, RefusedWebSocketUpgradeGetsTheAuthorizersResponse) {
  start();
  asio::io_context cio;
  websocket::stream<beast::tcp_stream> ws(cio);
  beast::get_lowest_layer(ws).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
  websocket::response_type hres;
  beast::error_code ec;
  ws.handshake(hres, "127.0.0.1", "/ws?token=bad", ec);
  EXPECT_EQ(ec, websocket::error::upgrade_declined);
  EXPECT_EQ(hres.result_int(), 401);
  EXPECT_EQ(boost::json::parse(hres.body()).at("error").at("code").as_string(), "unauthenticated");
}

TEST_F(ServerTest, PlainGetOnAWebSocketRouteIs426) {
  start();
  SyncClient c(port_);
  auto res = c.get("/ws");
  EXPECT_EQ(res.result_int(), 426);
  EXPECT_EQ(error_code_of(res), "upgrade_required");
}

TEST_F(ServerTest, HeaderTimeoutClosesASilentConnection) {
  start(ServerOptions{.header_timeout_s = 1});
  SyncClient silent(port_);
  SyncClient partial(port_);
  partial.write_raw("GET /items/1 HTTP/1.1\r\nHo");
  const auto t0 = std::chrono::steady_clock::now();
  auto ec = silent.read_until_closed(5s);
  auto ec2 = partial.read_until_closed(5s);
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_NE(ec, beast::error::timeout);  // the server closed it, not our own limit
  EXPECT_NE(ec2, beast::error::timeout);
  EXPECT_GE(waited, 800ms);
  EXPECT_LT(waited, 4s);
}

TEST_F(ServerTest, IdleTimeoutClosesAKeptAliveConnection) {
  start(ServerOptions{.idle_timeout_s = 1});
  SyncClient c(port_);
  EXPECT_EQ(c.get("/items/1").result_int(), 200);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_NE(c.read_until_closed(5s), beast::error::timeout);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 4s);
}

TEST_F(ServerTest, MetricsCountRequestsAndConnections) {
  start();
  {
    SyncClient c(port_);
    c.get("/items/1");
    c.get("/items/2");
    c.get("/missing");
    c.send(Request{bhttp::verb::delete_, "/echo", 11});
    EXPECT_EQ(metrics_.counter_value("bottega_http_connections"), 1);
  }
  EXPECT_EQ(eventually_equals(metrics_, "bottega_http_requests_total",
                              R"(method="GET",route="/items/{id}",status="200")", 2),
            2);
  EXPECT_EQ(eventually_equals(metrics_, "bottega_http_requests_total",
                              R"(method="GET",route="unmatched",status="404")", 1),
            1);
  EXPECT_EQ(eventually_equals(metrics_, "bottega_http_requests_total",
                              R"(method="DELETE",route="unmatched",status="405")", 1),
            1);
  const std::string text = metrics_.render();
  EXPECT_NE(text.find("bottega_http_request_duration_seconds_count{route=\"/items/{id}\"} 2"),
            std::string::npos)
      << text;
  // The closed connection is accounted for once the server has noticed it.
  EXPECT_EQ(eventually_equals(metrics_, "bottega_http_connections", {}, 0), 0);
}

TEST_F(ServerTest, ConnectionsOverTheLimitAreClosed) {
  start(ServerOptions{.max_connections = 1});
  SyncClient first(port_);
  EXPECT_EQ(first.get("/items/1").result_int(), 200);
  SyncClient second(port_);
  EXPECT_NE(second.read_until_closed(5s), beast::error::timeout);
  EXPECT_EQ(first.get("/items/1").result_int(), 200);
  EXPECT_EQ(eventually_equals(metrics_, "bottega_http_connections_refused_total", {}, 1), 1);
}

TEST_F(ServerTest, StopFinishesInFlightRequestsAndClosesIdleConnections) {
  start();
  SyncClient idle(port_);
  EXPECT_EQ(idle.get("/items/1").result_int(), 200);

  asio::io_context cio;
  websocket::stream<beast::tcp_stream> ws(cio);
  beast::get_lowest_layer(ws).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
  ws.handshake("127.0.0.1", "/ws?token=good");

  auto slow = std::async(std::launch::async, [this] {
    SyncClient c(port_);
    return c.get("/slow");
  });
  // Let the slow request reach its handler.
  for (int i = 0; i < 100 && server_->connection_count() < 3; ++i) std::this_thread::sleep_for(5ms);
  std::this_thread::sleep_for(50ms);
  server_->stop();

  auto res = slow.get();
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "slow");
  EXPECT_FALSE(res.keep_alive());
  EXPECT_NE(idle.read_until_closed(5s), beast::error::timeout);
  beast::flat_buffer buf;
  beast::error_code ec;
  beast::get_lowest_layer(ws).expires_after(5s);
  ws.read(buf, ec);
  EXPECT_TRUE(ec);
  EXPECT_NE(ec, beast::error::timeout);

  // No new connections are accepted, and io.run() returns: nothing is left behind.
  beast::error_code cec;
  tcp::socket s(cio);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), cec);
  EXPECT_TRUE(cec);
  shutdown();
}

TEST(Responses, ErrorAndJsonResponses) {
  Request req{bhttp::verb::get, "/", 11};
  auto res =
      error_response(req, Error::invalid("items[0].sku", "sku is required", "missing_field"));
  EXPECT_EQ(res.result_int(), 400);
  auto j = boost::json::parse(res.body());
  EXPECT_EQ(j.at("error").at("code").as_string(), "missing_field");
  EXPECT_EQ(j.at("error").at("message").as_string(), "sku is required");
  EXPECT_EQ(j.at("error").at("field").as_string(), "items[0].sku");
  EXPECT_TRUE(res.keep_alive());

  res = error_response(req, Error::not_found("conversation"));
  EXPECT_EQ(res.result_int(), 404);
  EXPECT_FALSE(boost::json::parse(res.body()).at("error").as_object().contains("field"));

  req.keep_alive(false);
  res = json_response(req, 201, R"({"id":"x"})");
  EXPECT_EQ(res.result_int(), 201);
  EXPECT_FALSE(res.keep_alive());
  EXPECT_EQ(res[bhttp::field::content_length], "10");
  EXPECT_EQ(res["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ(res["Referrer-Policy"], "no-referrer");
}

class FileResponseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("bottega_file_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(root_ / "assets");
    std::ofstream(root_ / "index.html") << "<html></html>";
    std::ofstream(root_ / "assets" / "app.js") << "console.log(1)";
    std::ofstream(root_ / "assets" / "font.WOFF2") << "w";
    std::ofstream(root_ / "blob.bin") << "b";
    std::ofstream(root_.parent_path() / ("bottega_secret_" + std::to_string(::getpid())))
        << "secret";
  }
  void TearDown() override {
    std::filesystem::remove_all(root_);
    std::filesystem::remove(root_.parent_path() / ("bottega_secret_" + std::to_string(::getpid())));
  }
  std::filesystem::path root_;
  Request req_{bhttp::verb::get, "/", 11};
};

TEST_F(FileResponseTest, ServesFilesWithTheirContentType) {
  auto res = file_response(req_, root_.string(), "index.html");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body(), "<html></html>");
  EXPECT_EQ((*res)[bhttp::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ((*res)["X-Content-Type-Options"], "nosniff");

  res = file_response(req_, root_.string(), "assets/app.js");
  ASSERT_TRUE(res);
  EXPECT_EQ((*res)[bhttp::field::content_type], "text/javascript; charset=utf-8");
  res = file_response(req_, root_.string(), "assets/font.WOFF2");
  ASSERT_TRUE(res);
  EXPECT_EQ((*res)[bhttp::field::content_type], "font/woff2");
  res = file_response(req_, root_.string(), "blob.bin");
  ASSERT_TRUE(res);
  EXPECT_EQ((*res)[bhttp::field::content_type], "application/octet-stream");
}

TEST_F(FileResponseTest, RefusesTraversalAndMissingFiles) {
  const std::string secret = "bottega_secret_" + std::to_string(::getpid());
  ASSERT_TRUE(std::filesystem::exists(root_.parent_path() / secret));
  EXPECT_FALSE(file_response(req_, root_.string(), "../" + secret));
  EXPECT_FALSE(file_response(req_, root_.string(), "assets/../../" + secret));
  EXPECT_FALSE(file_response(req_, root_.string(), ".."));
  EXPECT_FALSE(file_response(req_, root_.string(), (root_.parent_path() / secret).string()));
  EXPECT_FALSE(file_response(req_, root_.string(), std::string("index.html\0.png", 15)));
  EXPECT_FALSE(file_response(req_, root_.string(), "..\\" + secret));
  EXPECT_FALSE(file_response(req_, root_.string(), ""));
  EXPECT_FALSE(file_response(req_, root_.string(), "assets"));  // a directory
  EXPECT_FALSE(file_response(req_, root_.string(), "missing.html"));
}

}  // namespace
}  // namespace bottega::http
