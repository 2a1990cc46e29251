#include "http/client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "http/server.hpp"

namespace bottega::http {
namespace {

namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

HttpRequest make_request(std::string method, std::string url,
                         std::vector<std::pair<std::string, std::string>> headers = {},
                         std::string body = {}, std::chrono::milliseconds timeout = 10s) {
  HttpRequest r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.headers = std::move(headers);
  r.body = std::move(body);
  r.timeout = timeout;
  return r;
}

bool blocked(const char* a) { return is_blocked_address(asio::ip::make_address(a)); }

TEST(IsBlockedAddress, InternalRangesAreBlocked) {
  for (const char* a : {"127.0.0.1",
                        "127.255.0.9",
                        "10.1.2.3",
                        "172.16.0.1",
                        "172.31.255.255",
                        "192.168.1.1",
                        "169.254.169.254",
                        "100.64.0.1",
                        "100.127.255.254",
                        "0.0.0.0",
                        "224.0.0.1",
                        "255.255.255.255",
                        "::1",
                        "::",
                        "fe80::1",
                        "fc00::1",
                        "fd12:3456::1",
                        "ff02::1",
                        "::ffff:127.0.0.1",
                        "::ffff:10.0.0.1",
                        "::ffff:169.254.169.254",
                        "::127.0.0.1",
                        "64:ff9b::a00:1",
                        "2002:c0a8:0101::1"}) {
    EXPECT_TRUE(blocked(a)) << a;
  }
}

TEST(IsBlockedAddress, PublicAddressesPass) {
  for (const char* a : {"8.8.8.8", "1.1.1.1", "172.15.255.255", "172.32.0.1", "100.63.255.255",
                        "100.128.0.1", "192.169.0.1", "93.184.216.34", "2606:4700::1111",
                        "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:0808:0808::1"}) {
    EXPECT_FALSE(blocked(a)) << a;
  }
}

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.add("GET", "/hello",
                [](Context& ctx) -> asio::awaitable<Response> {
                  auto res = text_response(
                      ctx.req, 200, "hello " + std::string(ctx.header("User-Agent")), "text/plain");
                  res.set("X-Seen-Custom", ctx.header("X-Custom"));
                  co_return res;
                },
                {});
    router_.add("POST", "/echo",
                [](Context& ctx) -> asio::awaitable<Response> {
                  co_return json_response(ctx.req, 201, ctx.req.body());
                },
                {});
    router_.add("GET", "/big",
                [](Context& ctx) -> asio::awaitable<Response> {
                  co_return text_response(ctx.req, 200, std::string(100 << 10, 'b'), "text/plain");
                },
                {});
    server_ =
        std::make_unique<Server>(io_, ServerOptions{.listen = "127.0.0.1:0"}, router_, metrics_);
    auto port = server_->start();
    ASSERT_TRUE(port.ok());
    port_ = *port;
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }

  void TearDown() override {
    server_->stop();
    work_.reset();
    for (auto& t : threads_) t.join();
  }

  std::string url(std::string_view path) {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }

  // Sends and waits; checks that `done` runs exactly once.
  Result<HttpResponse> call(BeastHttpClient& client, HttpRequest req) {
    auto calls = std::make_shared<std::atomic<int>>(0);
    auto promise = std::make_shared<std::promise<Result<HttpResponse>>>();
    auto future = promise->get_future();
    client.send(std::move(req), [calls, promise](Result<HttpResponse> r) {
      if (calls->fetch_add(1) == 0) promise->set_value(std::move(r));
    });
    EXPECT_EQ(future.wait_for(10s), std::future_status::ready);
    auto r = future.get();
    std::this_thread::sleep_for(20ms);
    EXPECT_EQ(calls->load(), 1);
    return r;
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

TEST_F(ClientTest, GetsALocalServerWhenPrivateNetworksAreAllowed) {
  BeastHttpClient client(io_, ClientOptions{.allow_private_networks = true});
  auto r = call(client, make_request("GET", url("/hello"), {{"X-Custom", "yes"}}));
  ASSERT_TRUE(r.ok()) << r.error().code << ": " << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello Bottega/0.1");
  bool seen = false;
  for (const auto& [k, v] : r->headers) {
    if (k == "X-Seen-Custom") seen = v == "yes";
  }
  EXPECT_TRUE(seen);

  r = call(client, make_request("GET", url("/hello"), {{"User-Agent", "Custom/1"}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "hello Custom/1");
}

TEST_F(ClientTest, PostsABodyAndReadsAnyStatus) {
  BeastHttpClient client(io_, ClientOptions{.allow_private_networks = true});
  auto r = call(client, make_request("POST", url("/echo"), {{"Content-Type", "application/json"}},
                                     R"({"a":1})"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, R"({"a":1})");

  r = call(client, make_request("GET", url("/missing")));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404);
}

TEST_F(ClientTest, LoopbackIsBlockedByDefault) {
  BeastHttpClient client(io_);
  for (const std::string& u : std::vector<std::string>{
           url("/hello"), "http://localhost:" + std::to_string(port_) + "/hello",
           "http://[::1]:" + std::to_string(port_) + "/", "http://[::ffff:127.0.0.1]:1/",
           std::string("http://169.254.169.254/latest/meta-data/")}) {
    auto r = call(client, make_request("GET", u));
    ASSERT_FALSE(r.ok()) << u;
    EXPECT_EQ(r.error().code, "destination_blocked") << u;
    EXPECT_EQ(r.error().errc, Errc::forbidden);
  }
}

TEST_F(ClientTest, InvalidUrlsAreRefused) {
  BeastHttpClient client(io_, ClientOptions{.allow_private_networks = true});
  for (const char* u : {"ftp://example.com/", "not a url", "http://user:pw@127.0.0.1/",
                        "http:///nohost", "http://bad%00host/"}) {
    auto r = call(client, make_request("GET", u));
    ASSERT_FALSE(r.ok()) << u;
    EXPECT_EQ(r.error().code, "invalid_url") << u;
  }
  auto r = call(client, make_request("GET", url("/hello"), {{"X-Evil", "a\r\nInjected: 1"}}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().errc, Errc::invalid_argument);
}

TEST_F(ClientTest, TimeoutCoversTheWholeExchange) {
  // A listener that never accepts: the connect succeeds (backlog), the response never comes.
  tcp::acceptor silent(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto port = silent.local_endpoint().port();
  BeastHttpClient client(io_, ClientOptions{.allow_private_networks = true});
  const auto t0 = std::chrono::steady_clock::now();
  auto r = call(
      client, make_request("GET", "http://127.0.0.1:" + std::to_string(port) + "/", {}, {}, 300ms));
  const auto waited = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "timeout");
  EXPECT_GE(waited, 250ms);
  EXPECT_LT(waited, 3s);
}

TEST_F(ClientTest, OversizeResponseIsRefused) {
  BeastHttpClient client(io_,
                         ClientOptions{.allow_private_networks = true, .max_response_bytes = 1024});
  auto r = call(client, make_request("GET", url("/big")));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "response_too_large");
  r = call(client, make_request("GET", url("/hello")));
  EXPECT_TRUE(r.ok());
}

TEST_F(ClientTest, ConnectionAndTlsFailuresAreErrors) {
  BeastHttpClient client(io_, ClientOptions{.allow_private_networks = true});
  tcp::acceptor closed(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto unused = closed.local_endpoint().port();
  closed.close();
  auto r = call(client, make_request("GET", "http://127.0.0.1:" + std::to_string(unused)));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "connect_failed");

  // https against a plain HTTP server: the handshake fails.
  r = call(client, make_request("GET", "https://127.0.0.1:" + std::to_string(port_) + "/hello"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "tls_failed");
}

TEST_F(ClientTest, ClientMayBeDestroyedWhileARequestIsInFlight) {
  tcp::acceptor silent(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  auto promise = std::make_shared<std::promise<Result<HttpResponse>>>();
  auto future = promise->get_future();
  {
    BeastHttpClient client(io_, ClientOptions{.allow_private_networks = true});
    client.send(
        make_request("GET",
                     "http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/", {},
                     {}, 200ms),
        [promise](Result<HttpResponse> r) { promise->set_value(std::move(r)); });
  }
  ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
  auto r = future.get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "timeout");
}

}  // namespace
}  // namespace bottega::http
