// The service tests' fixture: a store (SQLite, and PostgreSQL when BOTTEGA_TEST_PG_URL is set) with
// two tenants, a web chat channel each and three contacts, an injected clock, and helpers that
// act like the message path and the service listener.
#pragma once

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <cctype>
#include <filesystem>

#include "service/service.hpp"
#include "store/scratch_store.hpp"
#include "store/repo/repo.hpp"

namespace bottega::service::test_support {

namespace fs = std::filesystem;
namespace bj = boost::json;
namespace core_repo = ::bottega::repo;
using store::Tx;

class ServiceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    place_.prepare(GetParam(), "bottega_service");
    if (IsSkipped() || HasFatalFailure()) return;
    url_ = place_.url();
    auto s = store::open_store(url_, {}, true);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
    ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  core_repo::create_tenant(tx, "ten_A", "Shop", 1);
                  core_repo::create_tenant(tx, "ten_B", "Other", 1);
                  core_repo::create_channel(tx, channel_);
                  core_repo::create_channel(tx, channel_b_);
                  core_repo::create_contact(tx, "ten_A", "ct_1", "Ann", std::nullopt, 1);
                  core_repo::create_contact(tx, "ten_A", "ct_2", "Bob", std::nullopt, 1);
                  core_repo::create_contact(tx, "ten_B", "ct_9", "Zed", std::nullopt, 1);
                  return {};
                }).ok());
  }
  void TearDown() override {
    if (store_) store_->close();
    store_.reset();
    place_.release();
  }
  pipeline::Env env() { return pipeline::Env{clock_, ids_, {}, {}}; }
  // Runs fn(tx) -> Result<T> in one write; an error rolls the write back and is returned.
  template <class T, class Fn>
  Result<T> write(Fn fn) {
    std::optional<Result<T>> out;
    auto st = store::write_sync(*store_, [&](Tx& tx) -> Status {
      out.emplace(fn(tx));
      return out->ok() ? Status{} : Status(out->error());
    });
    if (!st.ok()) return st.error();
    return std::move(*out);
  }

  void settings(const std::string& tenant, const char* json) {
    ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  auto r = update_settings(tx, tenant, bj::parse(json).as_object(), clock_.now_ms());
                  if (!r) return std::move(r).error();
                  return {};
                }).ok());
  }
  // The listener's work after a batch, for one conversation.
  void recompute_now(const std::string& tenant, const std::string& conv) {
    ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  recompute(tx, tenant, conv, load_settings(tx, tenant), clock_.now_ms());
                  return {};
                }).ok());
  }
  std::string customer_says(const std::string& tenant, const Channel& ch, const std::string& contact, const std::string& text) {
    std::string cid;
    auto e = env();
    EXPECT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  auto r = pipeline::ingest_contact_message(tx, e, tenant, ch, contact, text, std::nullopt);
                  if (!r) return std::move(r).error();
                  cid = r->conversation.id;
                  return {};
                }).ok());
    recompute_now(tenant, cid);
    return cid;
  }
  void agent_says(const std::string& conv, const std::string& text) {
    auto e = env();
    Principal p;
    p.tenant_id = "ten_A";
    p.agent_id = "agt_1";
    EXPECT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  pipeline::ReplyInput in;
                  in.text = text;
                  auto r = pipeline::agent_reply(tx, e, p, conv, in);
                  if (!r) return std::move(r).error();
                  return {};
                }).ok());
    recompute_now("ten_A", conv);
  }
  void patch(const std::string& conv, const pipeline::ConversationPatch& p) {
    auto e = env();
    Principal who;
    who.tenant_id = "ten_A";
    EXPECT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  auto r = pipeline::update_conversation(tx, e, who, conv, p);
                  if (!r) return std::move(r).error();
                  return {};
                }).ok());
    recompute_now("ten_A", conv);
  }
  int64_t scan() {
    int64_t n = 0;
    auto e = env();
    EXPECT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  n = scan_breaches(tx, e, clock_.now_ms(), 100);
                  return {};
                }).ok());
    return n;
  }
  std::vector<bj::object> breach_events() {
    std::vector<bj::object> out;
    store::read_sync(*store_, [&](Tx& tx) {
      for (const auto& e : core_repo::events_after(tx, 0, 10000))
        if (e.type == event_type::kSlaBreached) {
          auto v = bj::parse(e.payload_json).as_object();
          out.push_back(v.at("data").as_object());
          EXPECT_TRUE(e.internal);
          EXPECT_FALSE(e.tenant_id.empty());
        }
    });
    return out;
  }
  bj::object service(const std::string& tenant, const std::string& conv) {
    bj::object o;
    store::read_sync(*store_, [&](Tx& tx) {
      auto c = core_repo::get_conversation(tx, tenant, conv);
      if (c) o = service_json(tx, *c, clock_.now_ms());
    });
    return o;
  }

  store::ScratchStore place_;
  std::string url_;
  ManualClock clock_{1'795'428'000'000};
  RandomIdGenerator ids_{clock_};
  Channel channel_{"ch_1", "ten_A", "webchat", "Chat", "{}", 1};
  Channel channel_b_{"ch_9", "ten_B", "webchat", "Chat", "{}", 1};
  std::unique_ptr<store::Store> store_;
};

}  // namespace bottega::service::test_support
