// Tests of the harness itself and of the process lifecycle (start, graceful stop, restart with the
// same data). The build compiles tests/e2e/*_test.cpp only, so the harness is compiled here.
#include "harness.cpp"  // NOLINT(bugprone-suspicious-include): see above

#include <gtest/gtest.h>

namespace e2e {
namespace {

TEST(Harness, WebhookReceiverRecordsRequestsAndAnswersAsTold) {
  WebhookReceiver hook([](size_t i, const WebhookReceiver::Request&) { return i == 0 ? 500 : 204; });
  auto r1 = http_request(hook.port(), "POST", "/hook", R"({"a":1})", {{"X-Test", "one"}});
  auto r2 = http_request(hook.port(), "POST", "/hook", R"({"a":2})");
  EXPECT_EQ(r1.status, 500);
  EXPECT_EQ(r2.status, 204);
  auto reqs = hook.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].header("x-test"), "one");
  EXPECT_EQ(reqs[0].body, R"({"a":1})");
  EXPECT_EQ(reqs[1].answered, 204);
}

TEST(Harness, ConnectionRefusedIsANetworkError) {
  uint16_t port;
  {
    WebhookReceiver closed([](size_t, const WebhookReceiver::Request&) { return 200; });
    port = closed.port();
  }
  EXPECT_THROW(http_request(port, "GET", "/", {}, {}, 2s), NetworkError);
}

TEST(Process, StartsAnswersAndPrintsTheListeningLine) {
  BottegaProcess srv;
  srv.start();
  auto h = srv.get("/healthz");
  EXPECT_EQ(h.status, 200) << h.describe();
  auto ready = srv.get("/readyz");
  EXPECT_EQ(ready.status, 200) << ready.describe();
  EXPECT_NE(srv.server_output().find("listening on " + srv.public_url()), std::string::npos) << srv.server_output();
  auto v = srv.run_cli({"--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.out.rfind("bottega ", 0), 0u) << v.out;
}

TEST(Process, GracefulStopExitsZeroAndRestartKeepsTheData) {
  BottegaProcess srv;
  auto shop = srv.create_tenant("Restart shop");
  srv.start();
  std::string ch = create_webchat_channel(srv, shop.token, "Kept");
  EXPECT_EQ(srv.terminate(), 0) << srv.server_output();
  EXPECT_FALSE(srv.running());
  EXPECT_THROW(srv.get("/healthz"), NetworkError);
  srv.start();
  auto list = srv.get("/api/v1/channels", bearer(shop.token));
  ASSERT_EQ(list.status, 200) << list.describe();
  auto data = arr(list.json(), "data");
  ASSERT_EQ(data.size(), 1u) << list.body;
  EXPECT_EQ(str(data[0], "id"), ch);
  // SIGKILL too: the committed channel survives.
  srv.kill();
  srv.start();
  EXPECT_EQ(arr(srv.get("/api/v1/channels", bearer(shop.token)).json(), "data").size(), 1u);
}

TEST(Process, CliRefusesBadInput) {
  BottegaProcess srv;
  auto r = srv.run_cli({"admin", "create-agent", "--config", srv.config_path(), "--tenant", "ten_nope", "--email",
                        "a@b.example", "--password", "long enough password", "--role", "admin"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("tenant"), std::string::npos) << r.err;
  auto u = srv.run_cli({"serve", "--config", srv.dir() + "/missing.toml"});
  EXPECT_NE(u.exit_code, 0);
  EXPECT_NE(u.err.find("missing.toml"), std::string::npos) << u.err;
}

}  // namespace
}  // namespace e2e
