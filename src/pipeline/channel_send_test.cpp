// The channel.send job against a real store (SQLite, and PostgreSQL when BOTTEGA_TEST_PG_URL is
// set) and a scripted provider: a message sent as several provider messages goes out part after
// part, keeps its first part's id, fails naming a refused part, and, since every accepted part is
// recorded as it is accepted, a job run again after a crash or a transient error goes on at the
// next part instead of sending the first again. A WeChat image is uploaded, then sent as an image
// message naming the media_id (a refused token on the upload is fetched again, once). Files are
// read only for channels that send their bytes.
#include "pipeline/channel_send.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <mutex>
#include <thread>

#include "core/crypto.hpp"
#include "pipeline/media.hpp"
#include "pipeline/services.hpp"
#include "pipeline/window.hpp"
#include "store/repo/repo.hpp"
#include "store/scratch_store.hpp"

namespace bottega::pipeline {
namespace {

namespace bj = boost::json;
using store::Tx;

template <class Pred>
bool eventually(Pred p, int ms = 10000) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < end) {
    if (p()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return p();
}

// A provider scripted per request (in the order received): an answer, or none at all (the request
// hangs: what the job sees of a node killed while waiting).
struct ScriptedHttp : HttpClient {
  std::mutex mu;
  std::vector<HttpRequest> requests;
  std::function<std::optional<HttpResponse>(const HttpRequest&, size_t index)> answer;
  std::vector<std::function<void(Result<HttpResponse>)>> hung;
  void send(HttpRequest req, std::function<void(Result<HttpResponse>)> done) override {
    std::optional<HttpResponse> a;
    {
      std::lock_guard lk(mu);
      requests.push_back(req);
      a = answer(req, requests.size() - 1);
      if (!a) return hung.push_back(std::move(done));
    }
    done(std::move(*a));
  }
  size_t count() {
    std::lock_guard lk(mu);
    return requests.size();
  }
  std::vector<HttpRequest> seen() {
    std::lock_guard lk(mu);
    return requests;
  }
};

HttpResponse wamid(size_t i) { return HttpResponse{200, {}, R"({"messages":[{"id":"wamid.)" + std::to_string(i) + R"("}]})"}; }

// The one JobOutcome of a run, once it is known.
struct Outcome {
  std::mutex mu;
  std::optional<JobOutcome> o;
  std::function<void(JobOutcome)> done() {
    return [this](JobOutcome r) {
      std::lock_guard lk(mu);
      o = r;
    };
  }
  std::optional<JobOutcome> get() {
    std::lock_guard lk(mu);
    return o;
  }
};

class ChannelSendTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    place_.prepare(GetParam(), "bottega_send");
    if (IsSkipped() || HasFatalFailure()) return;
    auto s = store::open_store(place_.url(), {}, true);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
    ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  repo::create_tenant(tx, "ten_A", "Shop", 1);
                  repo::create_channel(tx, wa_);
                  repo::create_channel(tx, wc_);
                  return {};
                }).ok());
  }
  void TearDown() override {
    if (store_) store_->close();
    store_.reset();
    place_.release();
  }
  Env env() { return Env{clock_, ids_, {}, {}}; }

  // A customer's message on `ch`, then an agent's reply with `files` (mime type, name, bytes) and
  // `text`: the reply's message id.
  std::string reply_with_files(const Channel& ch, const std::string& from,
                               const std::vector<std::tuple<std::string, std::string, std::string>>& files,
                               const std::string& text) {
    std::string id;
    auto e = env();
    EXPECT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                  InboundBatch b;
                  InboundMessage m;
                  m.provider_message_id = "in." + std::to_string(ids_seq_++);
                  m.contact_external_id = from;
                  m.timestamp_ms = clock_.now_ms();
                  m.text = "hello";
                  b.messages.push_back(m);
                  BOTTEGA_TRY(batch, ingest_provider_batch(tx, e, ch, b));
                  (void)batch;
                  std::string conv;
                  for (const auto& c : repo::list_conversations(tx, "ten_A", {}).items)
                    if (c.channel_id == ch.id) conv = c.id;
                  std::vector<std::string> media_ids;
                  for (const auto& [mime, name, bytes] : files) {
                    media::StoredMedia up;
                    up.id = ids_.next("med");
                    up.tenant_id = "ten_A";
                    up.mime_type = mime;
                    up.filename = name;
                    up.size = static_cast<int64_t>(bytes.size());
                    up.sha256 = crypto::hex(crypto::sha256(bytes));
                    up.created_at = clock_.now_ms();
                    media::insert_upload(tx, up, crypto::base64(bytes));
                    media_ids.push_back(up.id);
                  }
                  BOTTEGA_TRY(atts, media::outbound_attachments(tx, "ten_A", media_ids));
                  ReplyInput in;
                  in.kind = "attachment";
                  in.text = text;
                  in.content_json = bj::serialize(bj::object{{"attachments", std::move(atts)}});
                  Principal p;
                  p.tenant_id = "ten_A";
                  p.token_id = "tok_1";
                  p.role = Role::admin;
                  BOTTEGA_TRY(msg, agent_reply(tx, e, p, conv, in));
                  media::bind_uploads(tx, "ten_A", media_ids, msg.id);
                  id = msg.id;
                  return {};
                }).ok());
    return id;
  }

  // Runs the channel.send job of `message_id` with a sender on `http` until it reports.
  JobOutcome run(ScriptedHttp& http, const std::string& message_id) {
    ChannelSender sender(*store_, http, env(), metrics_, "https://shop.example");
    sender.set_media_url_key("url-key");
    Outcome out;
    sender.run(job(message_id), out.done());
    EXPECT_TRUE(eventually([&] { return out.get().has_value(); }));
    return out.get().value_or(JobOutcome{});
  }
  repo::Job job(const std::string& message_id) {
    repo::Job j;
    j.id = "job_" + message_id;
    j.tenant_id = "ten_A";
    j.kind = "channel.send";
    j.payload_json = bj::serialize(bj::object{{"message_id", message_id}});
    j.attempts = 1;
    return j;
  }
  Message message(const std::string& id) {
    Message m;
    store::read_sync(*store_, [&](Tx& tx) { m = repo::get_message(tx, "ten_A", id).value(); });
    return m;
  }
  // WhatsApp paces one customer's messages (about one per 6 s): a new run comes later.
  void later() { clock_.advance_ms(60'000); }

  store::ScratchStore place_;
  ManualClock clock_{1'700'000'000'000};
  RandomIdGenerator ids_{clock_};
  int ids_seq_ = 1;
  Metrics metrics_;
  Channel wa_{"ch_wa", "ten_A", "whatsapp", "WA",
              R"({"phone_number_id":"1","access_token":"t","app_secret":"s","verify_token":"v"})", 1};
  Channel wc_{"ch_wc", "ten_A", "wechat", "WeChat",
              R"({"app_id":"wx1234","app_secret":"sec","token":"tok123","api_base_url":"http://wechat.test"})", 1};
  std::unique_ptr<store::Store> store_;
};

INSTANTIATE_TEST_SUITE_P(Stores, ChannelSendTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

const std::vector<std::tuple<std::string, std::string, std::string>> kThreeFiles = {
    {"image/png", "box.png", "\x89PNG\r\n\x1a\n box"},
    {"application/pdf", "invoice.pdf", "%PDF-1.4 invoice"},
    {"image/png", "label.png", "\x89PNG\r\n\x1a\n label"}};

// The WhatsApp media type of a send request's body.
std::string type_of(const HttpRequest& r) { return std::string(bj::parse(r.body).as_object().at("type").as_string()); }

TEST_P(ChannelSendTest, PartsGoInOrderAndTheMessageKeepsTheFirstPartsId) {
  std::string id = reply_with_files(wa_, "15551230001", kThreeFiles, "Your order");
  ScriptedHttp http;
  http.answer = [](const HttpRequest&, size_t i) { return wamid(i + 1); };
  auto o = run(http, id);
  EXPECT_TRUE(o.ok) << o.error;
  auto sent = http.seen();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(type_of(sent[0]), "image");  // with the text as its caption
  EXPECT_EQ(bj::parse(sent[0].body).at("image").at("caption"), "Your order");
  EXPECT_EQ(type_of(sent[1]), "document");
  EXPECT_EQ(type_of(sent[2]), "image");
  auto m = message(id);
  EXPECT_EQ(m.delivery_state, "sent");
  EXPECT_EQ(m.provider_message_id.value_or(""), "wamid.1");
  // Run again (its result was lost): every part was recorded, nothing is sent twice.
  later();
  ScriptedHttp again;
  again.answer = [](const HttpRequest&, size_t i) { return wamid(100 + i); };
  EXPECT_TRUE(run(again, id).ok);
  EXPECT_EQ(again.count(), 0u);
  EXPECT_EQ(message(id).provider_message_id.value_or(""), "wamid.1");
}

TEST_P(ChannelSendTest, ARefusedLaterPartFailsTheMessageNamingItWithoutSendingPartOneAgain) {
  std::string id = reply_with_files(wa_, "15551230001", kThreeFiles, "Your order");
  ScriptedHttp http;
  http.answer = [](const HttpRequest&, size_t i) -> std::optional<HttpResponse> {
    if (i == 1)
      return HttpResponse{400, {}, R"({"error":{"message":"(#131053) Media upload error","type":"OAuthException","code":131053}})"};
    return wamid(i + 1);
  };
  auto o = run(http, id);
  EXPECT_FALSE(o.ok);
  EXPECT_TRUE(o.permanent);  // retrying would not help, and the parts sent cannot be taken back
  EXPECT_EQ(http.count(), 2u);  // part 3 is not sent after part 2 was refused
  auto m = message(id);
  EXPECT_EQ(m.delivery_state, "failed");
  EXPECT_EQ(m.provider_message_id.value_or(""), "wamid.1");
  EXPECT_EQ(m.delivery_error.value_or("").rfind("part 2 of 3 not sent: ", 0), 0u) << m.delivery_error.value_or("");
}

TEST_P(ChannelSendTest, AJobStoppedAfterPartOneGoesOnAtPartTwoWhenRunAgain) {
  std::string id = reply_with_files(wa_, "15551230001", kThreeFiles, "Your order");
  {
    // Part 1 is accepted; the node dies while part 2 is on its way: the job's result is never
    // recorded (the runner gives the job to another node after its lease).
    ScriptedHttp http;
    http.answer = [](const HttpRequest&, size_t i) -> std::optional<HttpResponse> {
      if (i == 0) return wamid(1);
      return std::nullopt;
    };
    ChannelSender sender(*store_, http, env(), metrics_, "https://shop.example");
    sender.set_media_url_key("url-key");
    Outcome out;
    sender.run(job(id), out.done());
    ASSERT_TRUE(eventually([&] { return http.count() == 2; }));
    EXPECT_FALSE(out.get().has_value());
    EXPECT_EQ(message(id).delivery_state, "pending");
  }
  later();
  ScriptedHttp http;
  http.answer = [](const HttpRequest&, size_t i) { return wamid(i + 2); };
  auto o = run(http, id);
  EXPECT_TRUE(o.ok) << o.error;
  auto sent = http.seen();
  ASSERT_EQ(sent.size(), 2u);  // part 1 is not sent again; parts 2 and 3 once each
  EXPECT_EQ(type_of(sent[0]), "document");
  EXPECT_EQ(type_of(sent[1]), "image");
  EXPECT_NE(sent[1].body.find("label.png"), std::string::npos);
  auto m = message(id);
  EXPECT_EQ(m.delivery_state, "sent");
  EXPECT_EQ(m.provider_message_id.value_or(""), "wamid.1");
}

TEST_P(ChannelSendTest, ATransientErrorOnALaterPartRetriesTheJobFromThatPart) {
  std::string id = reply_with_files(wa_, "15551230001", kThreeFiles, "Your order");
  ScriptedHttp http;
  http.answer = [](const HttpRequest&, size_t i) -> std::optional<HttpResponse> {
    if (i == 2) return HttpResponse{503, {}, "unavailable"};
    return wamid(i + 1);
  };
  auto o = run(http, id);
  EXPECT_FALSE(o.ok);
  EXPECT_FALSE(o.permanent);
  EXPECT_EQ(o.error.rfind("part 3 of 3: ", 0), 0u) << o.error;
  EXPECT_EQ(message(id).delivery_state, "pending");
  later();
  ScriptedHttp retry;
  retry.answer = [](const HttpRequest&, size_t) { return wamid(3); };
  EXPECT_TRUE(run(retry, id).ok);
  ASSERT_EQ(retry.count(), 1u);
  EXPECT_NE(retry.seen()[0].body.find("label.png"), std::string::npos);
  EXPECT_EQ(message(id).provider_message_id.value_or(""), "wamid.1");
}

TEST_P(ChannelSendTest, ALinkOnlyChannelDoesNotReadTheFilesBytes) {
  std::string id = reply_with_files(wa_, "15551230001", {{"application/pdf", "invoice.pdf", "%PDF-1.4 x"}}, "");
  // The stored bytes become unreadable: WhatsApp fetches the signed link, so the send needs none.
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                tx.exec(store::Stmt{"test.spoil_bytes", "UPDATE media_files SET data_b64 = '%%%' WHERE tenant_id = $1"},
                        {std::string("ten_A")});
                return {};
              }).ok());
  ScriptedHttp http;
  http.answer = [](const HttpRequest&, size_t) { return wamid(1); };
  auto o = run(http, id);
  EXPECT_TRUE(o.ok) << o.error;
  ASSERT_EQ(http.count(), 1u);
  auto doc = bj::parse(http.seen()[0].body).at("document").as_object();
  EXPECT_EQ(std::string(doc.at("link").as_string()).rfind("https://shop.example/media/", 0), 0u);
  EXPECT_EQ(doc.at("filename"), "invoice.pdf");
  // The files' loader reads bytes only when asked, and fails only then.
  store::read_sync(*store_, [&](Tx& tx) {
    auto m = repo::get_message(tx, "ten_A", id).value();
    auto content = bj::parse(m.content_json).as_object();
    auto links = media::load_outbound(tx, "ten_A", content, {"https://shop.example", "k"}, clock_.now_ms(),
                                      [](const OutboundAttachment&) { return false; });
    ASSERT_TRUE(links.ok());
    EXPECT_FALSE(links->at(0).bytes);
    EXPECT_EQ(links->at(0).size, 10);
    EXPECT_FALSE(media::load_outbound(tx, "ten_A", content, {"https://shop.example", "k"}, clock_.now_ms()).ok());
  });
}

TEST_P(ChannelSendTest, AWeChatImageIsUploadedThenSentNamingItsMediaIdAndARefusedTokenIsFetchedAgain) {
  std::string png = "\x89PNG\r\n\x1a\n wechat";
  std::string id = reply_with_files(wc_, "oUser1", {{"image/png", "box.png", png}, {"application/pdf", "a.pdf", "%PDF"}},
                                    "For you");
  // The PDF goes as a link: its bytes are not needed.
  ASSERT_TRUE(store::write_sync(*store_, [&](Tx& tx) -> Status {
                tx.exec(store::Stmt{"test.spoil_pdf", "UPDATE media_files SET data_b64 = '%%%' WHERE tenant_id = $1 "
                                                      "AND mime_type = 'application/pdf'"},
                        {std::string("ten_A")});
                return {};
              }).ok());
  ScriptedHttp http;
  int tokens = 0, uploads = 0;
  http.answer = [&](const HttpRequest& r, size_t) -> std::optional<HttpResponse> {
    if (r.url.find("/cgi-bin/token?") != std::string::npos)
      return HttpResponse{200, {}, R"({"access_token":"T)" + std::to_string(++tokens) + R"(","expires_in":7200})"};
    if (r.url.find("/cgi-bin/media/upload?") != std::string::npos) {
      if (++uploads == 1) return HttpResponse{200, {}, R"({"errcode":40001,"errmsg":"invalid credential"})"};
      return HttpResponse{200, {}, R"({"type":"image","media_id":"MEDIA_9","created_at":1700000000})"};
    }
    return HttpResponse{200, {}, R"({"errcode":0,"errmsg":"ok"})"};
  };
  auto o = run(http, id);
  EXPECT_TRUE(o.ok) << o.error;
  auto sent = http.seen();
  std::vector<std::string> urls;
  std::string all;
  for (const auto& r : sent) {
    urls.push_back(r.url);
    all += r.url + "\n";
  }
  ASSERT_EQ(sent.size(), 6u) << all;
  EXPECT_EQ(urls[0], "http://wechat.test/cgi-bin/token?grant_type=client_credential&appid=wx1234&secret=sec");
  EXPECT_EQ(urls[1], "http://wechat.test/cgi-bin/message/custom/send?access_token=T1");
  EXPECT_NE(bj::parse(sent[1].body).at("text").at("content").as_string().find("a.pdf: https://shop.example/media/"),
            std::string::npos);
  EXPECT_EQ(urls[2], "http://wechat.test/cgi-bin/media/upload?type=image&access_token=T1");
  EXPECT_EQ(urls[3].rfind("http://wechat.test/cgi-bin/token?", 0), 0u);  // the refused token is replaced
  EXPECT_EQ(urls[4], "http://wechat.test/cgi-bin/media/upload?type=image&access_token=T2");
  EXPECT_NE(sent[4].body.find(png), std::string::npos);
  EXPECT_EQ(urls[5], "http://wechat.test/cgi-bin/message/custom/send?access_token=T2");
  EXPECT_EQ(bj::parse(sent[5].body), bj::parse(R"({"touser":"oUser1","msgtype":"image","image":{"media_id":"MEDIA_9"}})"));
  auto m = message(id);
  EXPECT_EQ(m.delivery_state, "sent");
  EXPECT_EQ(m.provider_message_id.value_or(""), "bottega:" + id);
}

// WeChat takes 5 replies per customer message, one per part (a text, then each image): the parts
// of a message sent count (on both stores), and a message whose parts would pass the quota fails
// before any part is sent.
TEST_P(ChannelSendTest, WeChatCountsEachPartAgainstItsFiveReplyQuota) {
  const std::string png = "\x89PNG\r\n\x1a\n quota";
  ScriptedHttp http;
  int media = 0;
  http.answer = [&](const HttpRequest& r, size_t) -> std::optional<HttpResponse> {
    if (r.url.find("/cgi-bin/token?") != std::string::npos)
      return HttpResponse{200, {}, R"({"access_token":"T1","expires_in":7200})"};
    if (r.url.find("/cgi-bin/media/upload?") != std::string::npos)
      return HttpResponse{200, {}, R"({"type":"image","media_id":"M)" + std::to_string(++media) +
                                       R"(","created_at":1700000000})"};
    return HttpResponse{200, {}, R"({"errcode":0,"errmsg":"ok"})"};
  };
  std::string three = reply_with_files(wc_, "oUser1", {{"image/png", "a.png", png}, {"image/png", "b.png", png}}, "Two");
  auto o = run(http, three);
  ASSERT_TRUE(o.ok) << o.error;
  EXPECT_EQ(message(three).delivery_state, "sent");
  int64_t counted = -1;
  store::read_sync(*store_, [&](Tx& tx) {
    counted = window::replies_since_customer_message(tx, "ten_A", message(three).conversation_id, "");
  });
  EXPECT_EQ(counted, 3);  // the text and two images

  const size_t before = http.seen().size();
  std::string six = reply_with_files(wc_, "oUser1",
                                     {{"image/png", "1.png", png}, {"image/png", "2.png", png}, {"image/png", "3.png", png},
                                      {"image/png", "4.png", png}, {"image/png", "5.png", png}},
                                     "Five");
  o = run(http, six);
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(http.seen().size(), before);  // nothing sent, not even the text
  auto m = message(six);
  EXPECT_EQ(m.delivery_state, "failed");
  EXPECT_NE(m.delivery_error.value_or("").find("reply_limit"), std::string::npos) << m.delivery_error.value_or("");
  EXPECT_NE(m.delivery_error.value_or("").find("takes 6"), std::string::npos) << m.delivery_error.value_or("");
}

}  // namespace
}  // namespace bottega::pipeline
