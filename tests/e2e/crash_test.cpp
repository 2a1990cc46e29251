// Durability through SIGKILL: client threads stream web chat messages (each with a unique text and
// its own Idempotency-Key) while the main thread kills the server at random moments and restarts
// it. A request that fails at the connection level is retried with the same key until it gets an
// answer. Afterwards every acknowledged (201) message is stored exactly once, with the id it was
// acknowledged with, in the order it was sent, and nothing else is stored.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "harness.hpp"

namespace e2e {
namespace {

struct Sent {
  size_t visitor = 0;
  std::string text;
  std::string key;
  std::string message_id;       // from the 201
  std::string conversation_id;  // from the 201
  int attempts = 0;
  bool replayed = false;  // the 201 carried Idempotent-Replayed
};

TEST(Crash, AcknowledgedMessagesSurviveSigkillExactlyOnce) {
  const auto started = std::chrono::steady_clock::now();
  const auto hard_deadline = started + 50s;
  constexpr int kKills = 6;
  constexpr size_t kSenders = 3;
  constexpr size_t kVisitorsPerSender = 2;

  BottegaProcess srv;
  Tenant shop = srv.create_tenant("Crash shop");
  srv.start();
  std::string channel = create_webchat_channel(srv, shop.token, "Crash chat");
  std::vector<Visitor> visitors;
  for (size_t i = 0; i < kSenders * kVisitorsPerSender; ++i)
    visitors.push_back(create_visitor(srv, channel, "Visitor " + std::to_string(i)));
  const std::string run = random_hex(4);

  std::atomic<bool> stop{false};
  std::atomic<int> network_errors{0};
  std::atomic<int> server_errors{0};
  std::mutex mu;
  std::vector<Sent> acked;
  std::vector<std::string> problems;  // unexpected answers, reported by the main thread

  auto sender = [&](size_t s) {
    std::mt19937 rng(static_cast<unsigned>(s * 7919 + 17));
    for (size_t n = 0; !stop.load(); ++n) {
      Sent m;
      m.visitor = s * kVisitorsPerSender + n % kVisitorsPerSender;
      m.text = "crash " + run + " v" + std::to_string(m.visitor) + " #" + std::to_string(n / kVisitorsPerSender);
      m.key = "crash-" + run + "-" + std::to_string(s) + "-" + std::to_string(n);
      // Retry until acknowledged: same text, same key.
      for (;;) {
        if (std::chrono::steady_clock::now() > hard_deadline) {
          std::lock_guard lk(mu);
          problems.push_back("gave up on " + m.text + " after " + std::to_string(m.attempts) + " attempts");
          return;
        }
        ++m.attempts;
        try {
          auto r = visitor_send(srv, channel, visitors[m.visitor].token, m.text, m.key, 3s);
          if (r.status == 201) {
            auto v = r.json();
            m.message_id = str(v, "message_id");
            m.conversation_id = str(v, "conversation_id");
            m.replayed = r.header("Idempotent-Replayed") == "true";
            break;
          }
          if (r.status >= 500) {  // a server going down may answer 503 while draining
            ++server_errors;
          } else {
            std::lock_guard lk(mu);
            problems.push_back(m.text + ": unexpected " + r.describe());
            return;
          }
        } catch (const NetworkError&) {
          ++network_errors;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10 + rng() % 40));
      }
      std::lock_guard lk(mu);
      acked.push_back(std::move(m));
    }
  };

  Threads threads([&] { stop = true; });
  for (size_t s = 0; s < kSenders; ++s) threads.spawn([&sender, s] { sender(s); });

  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> delay(100, 700);
  size_t acked_before_kill = 0;
  int kills = 0;
  for (; kills < kKills; ++kills) {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay(rng)));
    {
      std::lock_guard lk(mu);
      acked_before_kill = acked.size();
    }
    srv.kill();
    // Sometimes come back at once, sometimes after a pause with clients failing.
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 150));
    try {
      srv.start();
    } catch (const std::exception& e) {
      FAIL() << "restart " << kills + 1 << " failed: " << e.what();
    }
  }
  // Let the last server take some traffic, then finish.
  std::this_thread::sleep_for(500ms);
  threads.join();
  ASSERT_TRUE(srv.running()) << "the server died on its own:\n" << srv.server_output();

  for (const auto& p : problems) ADD_FAILURE() << p;
  ASSERT_TRUE(problems.empty());
  std::cout << "[ crash    ] " << kills << " kills, " << acked.size() << " messages acknowledged, "
            << network_errors.load() << " connection errors, " << server_errors.load() << " 5xx answers, "
            << std::count_if(acked.begin(), acked.end(), [](const Sent& s) { return s.replayed; })
            << " idempotent replays\n";
  EXPECT_EQ(kills, kKills);
  EXPECT_GE(acked.size(), 20u) << "too little traffic to mean anything";
  EXPECT_GT(acked.size(), acked_before_kill) << "nothing was acknowledged after the last restart";
  EXPECT_GT(network_errors.load(), 0) << "the kills never interrupted a client";

  // What the API has stored: every conversation, every message.
  auto conversations = list_all(srv, "/api/v1/conversations", bearer(shop.token), 50);
  std::map<std::string, std::vector<bj::value>> stored;  // conversation id -> messages
  std::multiset<std::string> texts;
  std::map<std::string, std::string> id_of_text;
  size_t total = 0;
  for (const auto& c : conversations) {
    std::string id = str(c, "id");
    auto msgs = list_all(srv, "/api/v1/conversations/" + id + "/messages", bearer(shop.token), 100);
    for (const auto& m : msgs) {
      texts.insert(str(m, "text"));
      id_of_text[str(m, "text")] = str(m, "id");
      ++total;
    }
    stored[id] = std::move(msgs);
  }
  EXPECT_LE(conversations.size(), visitors.size()) << "one conversation per visitor";

  // No text twice; every acknowledged message exactly once, under the acknowledged id.
  for (const auto& t : texts) EXPECT_EQ(texts.count(t), 1u) << "stored more than once: " << t;
  for (const auto& m : acked) {
    ASSERT_EQ(texts.count(m.text), 1u) << "acknowledged but stored " << texts.count(m.text) << " times: " << m.text
                                       << " (key " << m.key << ", " << m.attempts << " attempts)";
    EXPECT_EQ(id_of_text[m.text], m.message_id) << m.text;
  }
  // Nothing that was not acknowledged (every message was retried until acknowledged).
  EXPECT_EQ(total, acked.size());

  // Each visitor's messages are stored in the order they were acknowledged.
  std::map<size_t, std::vector<std::string>> sent_order;
  std::map<size_t, std::string> conversation_of;
  for (const auto& m : acked) {
    sent_order[m.visitor].push_back(m.text);
    if (conversation_of.count(m.visitor)) {
      EXPECT_EQ(conversation_of[m.visitor], m.conversation_id) << "visitor " << m.visitor << " changed conversation";
    }
    conversation_of[m.visitor] = m.conversation_id;
  }
  for (const auto& [v, order] : sent_order) {
    std::vector<std::string> got;
    for (const auto& m : stored[conversation_of[v]]) got.push_back(str(m, "text"));
    EXPECT_EQ(got, order) << "visitor " << v;
  }

  // The restarted server still serves realtime replay of everything from the start.
  WsClient ws;
  ASSERT_TRUE(ws.connect(srv.port(), "/api/v1/realtime?cursor=0", bearer(shop.token)));
  std::vector<bj::value> events;
  ASSERT_TRUE(ws.read_until(is_type("ready"), 10s, &events));
  size_t created = 0;
  int64_t prev = 0;
  for (const auto& e : events) {
    if (str(e, "type") == "message.created") ++created;
    if (num(e, "seq", 0) > 0) {
      EXPECT_GT(num(e, "seq"), prev);
      prev = num(e, "seq");
    }
  }
  EXPECT_EQ(created, acked.size()) << "one message.created event per stored message";
  EXPECT_LT(std::chrono::steady_clock::now() - started, 60s);
}

// An agent client that keeps the largest seq it saw and reconnects with it after every crash
// receives every event exactly once, in order: the same sequence a fresh replay returns.
TEST(Crash, RealtimeClientMissesNothingAcrossKills) {
  constexpr int kKills = 5;
  BottegaProcess srv;
  Tenant shop = srv.create_tenant("Realtime crash shop");
  srv.start();
  std::string channel = create_webchat_channel(srv, shop.token, "Chat");
  std::vector<Visitor> visitors;
  for (int i = 0; i < 3; ++i) visitors.push_back(create_visitor(srv, channel));

  std::atomic<bool> stop_sending{false}, stop_reading{false};
  std::mutex mu;
  std::vector<std::string> acked;
  std::vector<bj::value> received;  // events in arrival order, across connections
  std::vector<std::string> problems;
  int connections = 0;

  Threads reading([&] { stop_reading = true; });
  Threads sending([&] { stop_sending = true; });
  sending.spawn([&] {
    for (int n = 0; !stop_sending; ++n) {
      std::string text = "rt " + std::to_string(n);
      std::string key = "rt-key-" + std::to_string(n);
      for (int attempt = 0;; ++attempt) {
        if (attempt > 500) {
          std::lock_guard lk(mu);
          problems.push_back("gave up on " + text);
          return;
        }
        try {
          auto r = visitor_send(srv, channel, visitors[static_cast<size_t>(n) % visitors.size()].token, text, key, 3s);
          if (r.status == 201) break;
          if (r.status < 500) {
            std::lock_guard lk(mu);
            problems.push_back(text + ": " + r.describe());
            return;
          }
        } catch (const NetworkError&) {
        }
        std::this_thread::sleep_for(20ms);
      }
      std::lock_guard lk(mu);
      acked.push_back(text);
    }
  });

  reading.spawn([&] {
    int64_t last = 0;
    WsClient ws;
    while (!stop_reading) {
      if (!ws.connect(srv.port(), "/api/v1/realtime?cursor=" + std::to_string(last), bearer(shop.token), 2s)) {
        std::this_thread::sleep_for(20ms);
        continue;
      }
      {
        std::lock_guard lk(mu);
        ++connections;
      }
      while (!stop_reading) {
        auto f = ws.read_json(200ms);
        if (!f) {
          if (ws.ended()) break;  // killed: reconnect with the cursor
          continue;
        }
        if (str(*f, "type") == "ready") continue;
        int64_t seq = num(*f, "seq");
        std::lock_guard lk(mu);
        if (seq <= last) {
          problems.push_back("seq " + std::to_string(seq) + " again after " + std::to_string(last));
          continue;
        }
        last = seq;
        received.push_back(std::move(*f));
      }
    }
    ws.close();
  });

  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> delay(100, 700);
  for (int k = 0; k < kKills; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay(rng)));
    srv.kill();
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 100));
    srv.start();
  }
  std::this_thread::sleep_for(300ms);
  sending.join();

  // The reader catches up with everything stored.
  std::vector<std::string> stored;
  for (const auto& c : list_all(srv, "/api/v1/conversations", bearer(shop.token)))
    for (const auto& m : list_all(srv, "/api/v1/conversations/" + str(c, "id") + "/messages", bearer(shop.token), 200))
      stored.push_back(str(m, "id"));
  auto seen_messages = [&] {
    std::lock_guard lk(mu);
    size_t n = 0;
    for (const auto& e : received) n += str(e, "type") == "message.created";
    return n;
  };
  bool caught_up = eventually([&] { return seen_messages() >= stored.size(); }, 10s);
  reading.join();

  for (const auto& p : problems) ADD_FAILURE() << p;
  std::cout << "[ crash    ] realtime: " << kKills << " kills, " << connections << " connections, " << received.size()
            << " events, " << acked.size() << " messages acknowledged, " << stored.size() << " stored\n";
  EXPECT_TRUE(caught_up) << seen_messages() << " of " << stored.size() << " message.created events arrived";
  EXPECT_GE(connections, kKills + 1);
  EXPECT_GE(acked.size(), 10u);

  // Exactly the stored messages, once each.
  std::multiset<std::string> got;
  for (const auto& e : received)
    if (str(e, "type") == "message.created") got.insert(str(e, "data.id"));
  for (const auto& id : stored) EXPECT_EQ(got.count(id), 1u) << id;
  EXPECT_EQ(got.size(), stored.size());

  // And the very same sequence as a fresh replay from the start.
  WsClient fresh;
  ASSERT_TRUE(fresh.connect(srv.port(), "/api/v1/realtime?cursor=0", bearer(shop.token)));
  std::vector<bj::value> replay;
  ASSERT_TRUE(fresh.read_until(is_type("ready"), 10s, &replay));
  replay.pop_back();
  ASSERT_GE(replay.size(), received.size());
  for (size_t i = 0; i < received.size(); ++i) {
    ASSERT_EQ(num(received[i], "seq"), num(replay[i], "seq")) << "event " << i << " differs";
    ASSERT_EQ(str(received[i], "id"), str(replay[i], "id")) << i;
  }
}

}  // namespace
}  // namespace e2e
