// `bottega serve` on PostgreSQL: one node through the main flows, then two nodes of one
// installation behind nginx (Debian's nginx-light, unprivileged on loopback, in a temp dir):
// realtime across nodes, sessions valid on every node, and a node SIGKILLed under load without
// losing an acknowledged message or completing a job twice. Each test gets a scratch database
// on the server named by BOTTEGA_TEST_PG_URL (scripts/pg.sh; scripts/test.sh starts one); the
// tests are skipped, saying so, when it is unset.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "harness.hpp"
#include "store/postgres/postgres_store.hpp"

namespace e2e {
namespace {

namespace fs = std::filesystem;

constexpr const char* kEmail = "ada@shop.example";
constexpr const char* kPassword = "correct horse battery";

struct Session {
  std::string cookie;
  std::string csrf;
};

Session login(uint16_t port) {
  auto r = http_request(port, "POST", "/api/v1/auth/login",
                        dump(bj::object{{"email", kEmail}, {"password", kPassword}}));
  if (r.status != 200) throw std::runtime_error("login: " + r.describe());
  std::string set = r.header("Set-Cookie");
  return Session{set.substr(0, set.find(';')), str(r.json(), "csrf_token")};
}

// A scratch database for the test, or a skip.
class OnPostgres : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* admin = std::getenv("BOTTEGA_TEST_PG_URL");
    if (!admin || !*admin)
      GTEST_SKIP() << "BOTTEGA_TEST_PG_URL is not set: no PostgreSQL server to run `bottega serve` on "
                      "(scripts/pg.sh starts one; scripts/test.sh does it for make test)";
    scratch_ = std::make_unique<bottega::store::ScratchDatabase>(
        admin, bottega::store::ScratchDatabase::unique_name("bottega_e2e"));
    ASSERT_TRUE(scratch_->status().ok()) << scratch_->status().error().message;
  }
  ProcessOptions node_options(const std::string& extra = "") {
    ProcessOptions o;
    o.store_url = scratch_->url();
    o.extra_toml = extra;
    return o;
  }
  // Rows of a query on the test's database (checks what is stored, behind the API's back).
  std::vector<bottega::store::Row> sql(const bottega::store::Stmt& s, const std::vector<bottega::store::Value>& p) {
    if (!db_) {
      auto st = bottega::store::open_store(scratch_->url(), {}, false);
      if (!st) throw std::runtime_error("open store: " + st.error().message);
      db_ = std::move(st).value();
    }
    std::vector<bottega::store::Row> rows;
    bottega::store::read_sync(*db_, [&](bottega::store::Tx& tx) { rows = tx.query(s, p); });
    return rows;
  }
  void TearDown() override {
    if (db_) db_->close();
    db_.reset();
  }
  // Declared first so the nodes (declared in tests, destroyed first) stop before it is dropped.
  std::unique_ptr<bottega::store::ScratchDatabase> scratch_;
  std::unique_ptr<bottega::store::Store> db_;
};

TEST_F(OnPostgres, ServeRunsTheMainFlows) {
  BottegaProcess srv(node_options());
  auto shop = srv.create_tenant("PG shop");
  srv.create_agent(shop.id, kEmail, kPassword, "admin", "Ada");
  srv.start();
  std::string channel = create_webchat_channel(srv, shop.token, "Shop");
  WebhookReceiver hook([](size_t, const WebhookReceiver::Request&) { return 200; });
  auto ep = srv.post("/api/v1/webhook_endpoints", bj::object{{"url", hook.url()}}, bearer(shop.token));
  ASSERT_EQ(ep.status, 201) << ep.describe();

  Session s = login(srv.port());
  WsClient agent_ws;
  ASSERT_TRUE(agent_ws.connect(srv.port(), "/api/v1/realtime", {{"Cookie", s.cookie}, {"Origin", srv.public_url()}}))
      << agent_ws.handshake_status() << " " << agent_ws.handshake_body();
  ASSERT_TRUE(agent_ws.read_until(is_type("ready"), 5s));

  Visitor v = create_visitor(srv, channel, "Bea");
  WsClient visitor_ws;
  ASSERT_TRUE(visitor_ws.connect(srv.port(), "/api/v1/webchat/" + channel + "/realtime?visitor_token=" + v.token));
  ASSERT_TRUE(visitor_ws.read_until(is_type("ready"), 5s));

  auto sent = visitor_send(srv, channel, v.token, "Do you ship to Belgium?");
  ASSERT_EQ(sent.status, 201) << sent.describe();
  std::string conversation = str(sent.json(), "conversation_id");
  auto msg = agent_ws.read_until(is_message_with_text("Do you ship to Belgium?"), 5s);
  ASSERT_TRUE(msg) << "the agent's socket did not get the visitor's message";
  EXPECT_EQ(str(*msg, "data.conversation_id"), conversation);

  auto reply = srv.post("/api/v1/conversations/" + conversation + "/messages", bj::object{{"text", "Yes, in 2 days."}},
                        {{"Cookie", s.cookie}, {"X-CSRF-Token", s.csrf}});
  ASSERT_EQ(reply.status, 201) << reply.describe();
  ASSERT_TRUE(visitor_ws.read_until(is_message_with_text("Yes, in 2 days."), 5s)) << "the visitor did not see the reply";

  auto listed = srv.get("/api/v1/conversations/" + conversation + "/messages", bearer(shop.token));
  ASSERT_EQ(listed.status, 200) << listed.describe();
  EXPECT_EQ(arr(listed.json(), "data").size(), 2u);
  // Merchant webhooks went out from the PostgreSQL outbox, once per event.
  ASSERT_TRUE(eventually([&] { return hook.count() >= 3; }, 10s)) << "webhooks received: " << hook.count();
  std::set<std::string> ids;
  for (auto& r : hook.requests()) EXPECT_TRUE(ids.insert(r.header("Bottega-Event-Id")).second);

  // Still there after a restart (durable on the server, not in the process).
  srv.restart();
  auto again = srv.get("/api/v1/conversations/" + conversation + "/messages", bearer(shop.token));
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(arr(again.json(), "data").size(), 2u);
  auto metrics = srv.get("/metrics");
  EXPECT_NE(metrics.body.find("bottega_dispatcher_leader 1"), std::string::npos);
}

// nginx from Debian as the load balancer: round robin over the nodes, WebSocket upgrade passed
// through, a refused connection retried on the next node (POSTs only when nothing was sent).
class Nginx {
 public:
  Nginx(const std::vector<uint16_t>& upstreams) {
    std::string bin;
    for (const char* c : {"/usr/sbin/nginx", "/usr/bin/nginx"})
      if (::access(c, X_OK) == 0) bin = c;
    if (bin.empty()) throw std::runtime_error("nginx is missing (scripts/deps.sh test installs nginx-light)");
    std::string tmpl = (fs::temp_directory_path() / "bottega-nginx-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    // A free port: bind 0 and release; nginx binds it right after (a race only with other tests).
    auto probe = http_free_port();
    port_ = probe;
    std::ofstream c(dir_ + "/nginx.conf");
    c << "daemon off;\nmaster_process off;\nworker_processes 1;\npid " << dir_ << "/nginx.pid;\n"
      << "error_log " << dir_ << "/error.log warn;\n"
      << "events { worker_connections 4096; }\n"
      << "http {\n  access_log off;\n"
      << "  client_body_temp_path " << dir_ << "/body;\n  proxy_temp_path " << dir_ << "/proxy;\n"
      << "  fastcgi_temp_path " << dir_ << "/fcgi;\n  uwsgi_temp_path " << dir_ << "/uwsgi;\n"
      << "  scgi_temp_path " << dir_ << "/scgi;\n"
      << "  map $http_upgrade $connection_upgrade { default upgrade; '' close; }\n"
      << "  upstream bottega {\n";
    for (auto p : upstreams) c << "    server 127.0.0.1:" << p << " max_fails=1 fail_timeout=2s;\n";
    c << "    keepalive 32;\n  }\n"
      << "  server {\n    listen 127.0.0.1:" << port_ << ";\n"
      << "    location / {\n      proxy_pass http://bottega;\n      proxy_http_version 1.1;\n"
      << "      proxy_set_header Upgrade $http_upgrade;\n      proxy_set_header Connection $connection_upgrade;\n"
      << "      proxy_set_header Host $host;\n      proxy_set_header X-Forwarded-For $remote_addr;\n"
      << "      proxy_next_upstream error timeout;\n      proxy_connect_timeout 2s;\n"
      << "      proxy_read_timeout 30s;\n    }\n  }\n}\n";
    c.close();
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open((dir_ + "/stderr.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      ::execl(bin.c_str(), bin.c_str(), "-p", dir_.c_str(), "-e", (dir_ + "/error.log").c_str(), "-c",
              (dir_ + "/nginx.conf").c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    bool up = eventually([&] {
      try {
        http_request(port_, "GET", "/healthz", {}, {}, 1s);
        return true;
      } catch (const NetworkError&) {
        return false;
      }
    }, 10s);
    if (!up) {
      std::ifstream log(dir_ + "/error.log");
      std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
      stop();
      throw std::runtime_error("nginx did not start: " + text);
    }
  }
  ~Nginx() { stop(); }
  uint16_t port() const { return port_; }

 private:
  static uint16_t http_free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
  }
  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int st = 0;
      ::waitpid(pid_, &st, 0);
      pid_ = -1;
    }
    if (!dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
      dir_.clear();
    }
  }
  std::string dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

HttpResponse send_chat(uint16_t port, const std::string& channel, const std::string& token, const std::string& text) {
  return http_request(port, "POST", "/api/v1/webchat/" + channel + "/messages", dump(bj::object{{"text", text}}),
                      {{"X-Visitor-Token", token}}, 10s);
}

constexpr const char* kClusterToml = "[cluster]\njob_lease_seconds = 3\ndispatcher_lease_seconds = 2\n";

TEST_F(OnPostgres, TwoNodesShareRealtimeAndSessionsBehindNginx) {
  BottegaProcess a(node_options(kClusterToml));
  auto shop = a.create_tenant("Two nodes");
  a.create_agent(shop.id, kEmail, kPassword, "admin", "Ada");
  BottegaProcess b(node_options(kClusterToml));  // same database: `migrate` finds it migrated
  a.start();
  b.start();
  Nginx lb({a.port(), b.port()});
  std::string channel = create_webchat_channel(a, shop.token, "Shop");

  // Logged in on node A, the session works on node B (sessions are rows in the database).
  Session s = login(a.port());
  auto on_b = b.get("/api/v1/conversations", {{"Cookie", s.cookie}});
  ASSERT_EQ(on_b.status, 200) << "A's session refused by B: " << on_b.describe();
  WsClient agent_on_b;
  ASSERT_TRUE(agent_on_b.connect(b.port(), "/api/v1/realtime", {{"Cookie", s.cookie}, {"Origin", b.public_url()}}))
      << agent_on_b.handshake_status() << " " << agent_on_b.handshake_body();
  ASSERT_TRUE(agent_on_b.read_until(is_type("ready"), 5s));
  WsClient agent_via_lb;
  ASSERT_TRUE(agent_via_lb.connect(lb.port(), "/api/v1/realtime", bearer(shop.token)))
      << agent_via_lb.handshake_status() << " " << agent_via_lb.handshake_body();
  ASSERT_TRUE(agent_via_lb.read_until(is_type("ready"), 5s));

  // Sent to node A, seen on node B's socket.
  Visitor v = create_visitor(a, channel, "Bea");
  auto t0 = std::chrono::steady_clock::now();
  auto sent = send_chat(a.port(), channel, v.token, "sent to node A");
  ASSERT_EQ(sent.status, 201) << sent.describe();
  ASSERT_TRUE(agent_on_b.read_until(is_message_with_text("sent to node A"), 5s))
      << "node B's agent socket did not get a message that arrived on node A";
  auto cross_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  std::printf("cross-node delivery (POST on A to frame on B): %lld ms\n", static_cast<long long>(cross_ms));
  // Through nginx (round robin: both nodes take some), every message reaches both sockets.
  for (int i = 0; i < 6; ++i) {
    auto r = send_chat(lb.port(), channel, v.token, "via nginx " + std::to_string(i));
    ASSERT_EQ(r.status, 201) << r.describe();
  }
  for (int i = 0; i < 6; ++i) {
    EXPECT_TRUE(agent_on_b.read_until(is_message_with_text("via nginx " + std::to_string(i)), 5s)) << i;
    EXPECT_TRUE(agent_via_lb.read_until(is_message_with_text("via nginx " + std::to_string(i)), 5s)) << i;
  }
  // Logging out on B ends the session on A too.
  auto out = b.request("POST", "/api/v1/auth/logout", "{}", {{"Cookie", s.cookie}, {"X-CSRF-Token", s.csrf}});
  ASSERT_LT(out.status, 300) << out.describe();
  EXPECT_EQ(a.get("/api/v1/conversations", {{"Cookie", s.cookie}}).status, 401);
}

TEST_F(OnPostgres, ANodeKilledUnderLoadLosesNothingAcknowledgedAndNoJobCompletesTwice) {
  BottegaProcess a(node_options(kClusterToml));
  auto shop = a.create_tenant("Kill shop");
  BottegaProcess b(node_options(kClusterToml));
  a.start();  // A first: it holds the dispatcher lease when it dies
  b.start();
  Nginx lb({a.port(), b.port()});
  std::string channel = create_webchat_channel(a, shop.token, "Shop");
  // A slow merchant endpoint (answers one request at a time, 2 ms each) so jobs are in flight.
  WebhookReceiver hook([](size_t, const WebhookReceiver::Request&) {
    std::this_thread::sleep_for(2ms);
    return 200;
  });
  auto ep = a.post("/api/v1/webhook_endpoints",
                   bj::object{{"url", hook.url()}, {"events", bj::array{"message.created"}}}, bearer(shop.token));
  ASSERT_EQ(ep.status, 201) << ep.describe();

  std::vector<Visitor> visitors;
  for (int i = 0; i < 4; ++i) visitors.push_back(create_visitor(a, channel, "V" + std::to_string(i)));

  std::atomic<bool> stop{false};
  std::mutex mu;
  std::map<std::string, std::string> acked;  // text -> message id (answered 201)
  std::atomic<int> sent{0}, failed{0};
  {
    Threads load([&] { stop = true; });
    for (size_t t = 0; t < visitors.size(); ++t)
      load.spawn([&, t] {
        for (int i = 0; !stop; ++i) {
          std::string text = "load " + std::to_string(t) + "-" + std::to_string(i);
          sent++;
          try {
            auto r = send_chat(lb.port(), channel, visitors[t].token, text);
            if (r.status == 201) {
              std::lock_guard lk(mu);
              acked[text] = str(r.json(), "message_id");
            } else {
              failed++;
            }
          } catch (const NetworkError&) {
            failed++;
          }
        }
      });
    std::this_thread::sleep_for(2s);
    size_t before = 0;
    {
      std::lock_guard lk(mu);
      before = acked.size();
    }
    ASSERT_GT(before, 20u) << "the load did not get going";
    a.kill();  // SIGKILL, mid-load
    std::this_thread::sleep_for(3s);
    load.join();
  }
  std::printf("load: %d sent, %zu acknowledged, %d not (502/refused while A died)\n", sent.load(), acked.size(),
              failed.load());
  ASSERT_TRUE(b.running());

  // Every acknowledged message is stored, exactly once.
  static constexpr bottega::store::Stmt kTexts{
      "e2e.texts", "SELECT text, COUNT(*), MIN(id) FROM messages WHERE tenant_id = $1 GROUP BY text"};
  std::map<std::string, std::pair<int64_t, std::string>> stored;
  for (auto& r : sql(kTexts, {shop.id})) stored[r.str(0)] = {r.i64(1), r.str(2)};
  size_t lost = 0, doubled = 0;
  for (auto& [text, id] : acked) {
    auto it = stored.find(text);
    if (it == stored.end()) ++lost;
    else if (it->second.first != 1) ++doubled;
    else EXPECT_EQ(it->second.second, id);
  }
  EXPECT_EQ(lost, 0u) << "acknowledged messages missing from the database";
  EXPECT_EQ(doubled, 0u) << "messages stored twice";

  // Every webhook job finishes (A's leased ones after their lease), each completed once.
  static constexpr bottega::store::Stmt kOpenJobs{
      "e2e.open_jobs", "SELECT COUNT(*) FROM jobs WHERE tenant_id = $1 AND status IN ('queued', 'running')"};
  static constexpr bottega::store::Stmt kJobs{
      "e2e.jobs", "SELECT status, COUNT(*), MAX(attempts) FROM jobs WHERE tenant_id = $1 AND kind = 'webhook' "
                  "GROUP BY status"};
  static constexpr bottega::store::Stmt kEvents{
      "e2e.events", "SELECT id FROM events WHERE tenant_id = $1 AND type = 'message.created'"};
  ASSERT_TRUE(eventually([&] { return sql(kOpenJobs, {shop.id})[0].i64(0) == 0; }, 30s))
      << "jobs still open 30 s after the kill";
  int64_t done = 0, max_attempts = 0;
  for (auto& r : sql(kJobs, {shop.id})) {
    EXPECT_EQ(r.str(0), "done") << r.i64(1) << " webhook jobs " << r.str(0);
    if (r.str(0) == "done") done = r.i64(1), max_attempts = r.i64(2);
  }
  auto events = sql(kEvents, {shop.id});
  EXPECT_EQ(done, static_cast<int64_t>(events.size())) << "one webhook job per message.created event";

  // What the merchant received: every event; an event twice only when its first attempt was in
  // flight on A when A died (the retry carries a higher attempt number); never one attempt twice.
  std::map<std::string, std::vector<std::string>> attempts;
  for (auto& r : hook.requests()) attempts[r.header("Bottega-Event-Id")].push_back(r.header("Bottega-Delivery-Attempt"));
  size_t twice = 0;
  for (auto& e : events) {
    auto it = attempts.find(e.str(0));
    ASSERT_NE(it, attempts.end()) << "event " << e.str(0) << " never delivered";
    std::set<std::string> distinct(it->second.begin(), it->second.end());
    EXPECT_EQ(distinct.size(), it->second.size()) << "event " << e.str(0) << ": one attempt delivered twice";
    if (it->second.size() > 1) ++twice;
  }
  std::printf("webhooks: %zu events, %zu jobs done, %zu delivered again after A's death (max attempts %lld)\n",
              events.size(), static_cast<size_t>(done), twice, static_cast<long long>(max_attempts));
  EXPECT_LE(twice, 32u) << "more redeliveries than A could have had in flight (max_in_flight 32)";
}

// Jobs forced to be in flight on the node that dies: the merchant's endpoint holds every request,
// so node A has claimed (running, leased) webhook jobs whose requests are out when it is
// SIGKILLed. Node B must finish each of them once its lease has run out, and no job may run a
// third time or be recorded as completed twice.
TEST_F(OnPostgres, JobsInFlightOnAKilledNodeAreFinishedByTheOtherAfterTheirLease) {
  constexpr int kMessages = 6;
  BottegaProcess a(node_options(kClusterToml));
  auto shop = a.create_tenant("Held shop");
  BottegaProcess b(node_options(kClusterToml));
  a.start();
  std::string channel = create_webchat_channel(a, shop.token, "Shop");
  std::atomic<bool> hold{true};
  WebhookReceiver hook([&](size_t, const WebhookReceiver::Request&) {
    while (hold) std::this_thread::sleep_for(5ms);  // A's requests hang here (the rest queue behind)
    return 200;
  });
  auto ep = a.post("/api/v1/webhook_endpoints",
                   bj::object{{"url", hook.url()}, {"events", bj::array{"message.created"}}}, bearer(shop.token));
  ASSERT_EQ(ep.status, 201) << ep.describe();
  auto posted = std::chrono::steady_clock::now();
  Visitor v = create_visitor(a, channel, "Held");
  for (int i = 0; i < kMessages; ++i)
    ASSERT_EQ(visitor_send(a, channel, v.token, "held " + std::to_string(i)).status, 201);

  static constexpr bottega::store::Stmt kEvents{
      "e2e.held_events", "SELECT id FROM events WHERE tenant_id = $1 AND type = 'message.created'"};
  static constexpr bottega::store::Stmt kWebhookJobs{
      "e2e.webhook_jobs",
      "SELECT id, status, attempts, COALESCE(lease_owner, '') FROM jobs WHERE tenant_id = $1 AND kind = 'webhook' ORDER BY id"};
  // Every webhook job claimed by A and running (its request out, unanswered).
  std::string a_owner;
  ASSERT_TRUE(eventually([&] {
    auto rows = sql(kWebhookJobs, {shop.id});
    if (rows.size() < kMessages || rows.size() != sql(kEvents, {shop.id}).size()) return false;
    for (auto& r : rows)
      if (r.str(1) != "running" || r.i64(2) != 1) return false;
    a_owner = rows[0].str(3);
    return true;
  }, 10s)) << "A did not get all its webhook jobs in flight";
  for (auto& r : sql(kWebhookJobs, {shop.id})) EXPECT_EQ(r.str(3), a_owner) << "one owner: node A";
  ASSERT_FALSE(a_owner.empty());

  b.start();
  a.kill();  // SIGKILL with every job in flight
  hold = false;

  ASSERT_TRUE(eventually([&] {
    for (auto& r : sql(kWebhookJobs, {shop.id}))
      if (r.str(1) != "done") return false;
    return true;
  }, 30s)) << "B did not finish A's jobs";
  ASSERT_TRUE(b.running());
  // Each job ran exactly twice: the claim A died with, and B's after the lease.
  for (auto& r : sql(kWebhookJobs, {shop.id})) EXPECT_EQ(r.i64(2), 2) << "job " << r.str(0) << " attempts";
  std::this_thread::sleep_for(4s);  // longer than a lease: nothing runs a third time
  for (auto& r : sql(kWebhookJobs, {shop.id})) {
    EXPECT_EQ(r.str(1), "done");
    EXPECT_EQ(r.i64(2), 2) << "job " << r.str(0) << " ran again";
  }

  // What the endpoint saw: each event's attempt 2 exactly once (B's), never before A's lease could
  // have run out; attempt 1 (A's) at most once and never answered to A.
  std::map<std::string, std::vector<WebhookReceiver::Request>> by_event;
  for (auto& r : hook.requests()) by_event[r.header("Bottega-Event-Id")].push_back(r);
  auto events = sql(kEvents, {shop.id});
  ASSERT_GE(events.size(), static_cast<size_t>(kMessages));
  for (auto& e : events) {
    int first = 0, second = 0;
    for (auto& r : by_event[e.str(0)]) {
      if (r.header("Bottega-Delivery-Attempt") == "1") ++first;
      else if (r.header("Bottega-Delivery-Attempt") == "2") {
        ++second;
        EXPECT_GE(r.at - posted, 2900ms) << "B delivered before A's 3 s lease could have run out";
      } else {
        ADD_FAILURE() << "attempt " << r.header("Bottega-Delivery-Attempt");
      }
    }
    EXPECT_LE(first, 1) << e.str(0);
    EXPECT_EQ(second, 1) << e.str(0);
  }
  // Completed once: one recorded delivery per event, B's (A died before any answer reached it).
  static constexpr bottega::store::Stmt kDeliveries{
      "e2e.held_deliveries",
      "SELECT event_id, attempt, COUNT(*) FROM webhook_deliveries WHERE tenant_id = $1 GROUP BY event_id, attempt"};
  auto deliveries = sql(kDeliveries, {shop.id});
  EXPECT_EQ(deliveries.size(), events.size());
  for (auto& d : deliveries) {
    EXPECT_EQ(d.i64(1), 2) << d.str(0);
    EXPECT_EQ(d.i64(2), 1) << d.str(0);
  }
}

}  // namespace
}  // namespace e2e
