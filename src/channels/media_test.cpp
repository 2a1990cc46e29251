// Media download steps per provider, and the host allow-list that every URL (redirects included)
// must pass before it is fetched.
#include "channels/media.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace bottega::channels::media {
namespace {

namespace bj = boost::json;

bj::object obj(std::string_view s) { return bj::parse(s).as_object(); }

const bj::object kWa = obj(R"({"phone_number_id":"1","access_token":"EAAG","app_secret":"s","verify_token":"v"})");
const bj::object kWaSim = obj(R"({"phone_number_id":"1","access_token":"EAAG","api_base_url":"http://127.0.0.1:9100/whatsapp/v21.0"})");
const bj::object kTg = obj(R"({"bot_token":"123:ABC","secret_token":"t"})");
const bj::object kTw = obj(R"({"account_sid":"AC1","auth_token":"tok","from":"+1555"})");
const bj::object kMs = obj(R"({"page_id":"1","page_access_token":"p"})");
const bj::object kWx = obj(R"({"app_id":"wx1","app_secret":"s","token":"tok123"})");

std::string header(const HttpRequest& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

TEST(MediaHosts, OnlyTheProvidersMediaHostsOverHttps) {
  EXPECT_TRUE(check_url("whatsapp", kWa, "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1").ok());
  EXPECT_TRUE(check_url("messenger", kMs, "https://scontent.xx.fbcdn.net/v/t1.png").ok());
  EXPECT_TRUE(check_url("instagram", kMs, "https://scontent.cdninstagram.com/a.jpg").ok());
  EXPECT_TRUE(check_url("twilio", kTw, "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1").ok());
  EXPECT_TRUE(check_url("viber", kMs, "https://dl-media.viber.com/1/share/2/long/vibes/icon/image/0x0/95e0/p.jpg").ok());
  EXPECT_FALSE(check_url("viber", kMs, "https://dl-media.viber.com.evil.example/p.jpg").ok());
  auto viber = first_request("viber", kMs, obj(R"({"type":"image","url":"https://dl-media.viber.com/5/p.jpg"})"));
  ASSERT_TRUE(viber.ok());
  EXPECT_EQ(viber->url, "https://dl-media.viber.com/5/p.jpg");
  EXPECT_EQ(first_request("viber", kMs, obj(R"({"type":"image","url":"https://evil.example/p.jpg"})")).error().code,
            "media_host_not_allowed");
  struct Case {
    std::string_view type, url, code;
  } refused[] = {
      {"whatsapp", "http://lookaside.fbsbx.com/x", "media_host_not_allowed"},        // not https
      {"whatsapp", "https://evil.example/x", "media_host_not_allowed"},
      {"whatsapp", "https://fbsbx.com.evil.example/x", "media_host_not_allowed"},    // suffix trick
      {"whatsapp", "https://evilfbsbx.com/x", "media_host_not_allowed"},            // not a subdomain
      {"messenger", "https://169.254.169.254/latest/meta-data", "media_host_not_allowed"},
      {"messenger", "https://user:pw@scontent.xx.fbcdn.net/x", "media_host_not_allowed"},
      {"telegram", "https://lookaside.fbsbx.com/x", "media_host_not_allowed"},      // another provider's host
      {"messenger", "not a url", "invalid_url"},
  };
  for (const auto& c : refused) {
    auto st = check_url(c.type, kMs, c.url);
    ASSERT_FALSE(st.ok()) << c.url;
    EXPECT_EQ(st.error().code, c.code) << c.url;
  }
}

TEST(MediaHosts, TheChannelsOwnApiHostIsTrustedOnItsPortOnly) {
  EXPECT_TRUE(check_url("whatsapp", kWaSim, "http://127.0.0.1:9100/whatsapp/media/42").ok());
  EXPECT_FALSE(check_url("whatsapp", kWaSim, "http://127.0.0.1:8080/api/v1/conversations").ok());
  EXPECT_FALSE(check_url("whatsapp", kWaSim, "http://localhost:9100/whatsapp/media/42").ok());
}

TEST(MediaSteps, WhatsAppFetchesTheMetadataThenTheFileWithTheToken) {
  auto first = first_request("whatsapp", kWa, obj(R"({"type":"image","id":"1037543291543636"})"));
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->method, "GET");
  EXPECT_EQ(first->url, "https://graph.facebook.com/v21.0/1037543291543636");
  EXPECT_EQ(header(*first, "Authorization"), "Bearer EAAG");
  HttpResponse meta{200, {}, R"({"messaging_product":"whatsapp","url":"https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1037","mime_type":"image/jpeg","sha256":"abc","file_size":303833,"id":"1037543291543636"})"};
  auto n = next("whatsapp", kWa, 0, meta);
  ASSERT_TRUE(n.ok()) << n.error().message;
  ASSERT_TRUE(n->request);
  EXPECT_EQ(n->request->url, "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1037");
  EXPECT_EQ(header(*n->request, "Authorization"), "Bearer EAAG");
  EXPECT_EQ(n->mime_type, "image/jpeg");
  EXPECT_EQ(n->sha256, "abc");
  auto file = next("whatsapp", kWa, 1, HttpResponse{200, {{"Content-Type", "image/jpeg"}}, "JPEGBYTES"});
  ASSERT_TRUE(file.ok());
  EXPECT_FALSE(file->request) << "the body is the file";
  // A metadata URL elsewhere is refused before anything is fetched.
  HttpResponse evil{200, {}, R"({"url":"https://169.254.169.254/latest/meta-data/"})"};
  EXPECT_EQ(next("whatsapp", kWa, 0, evil).error().code, "media_host_not_allowed");
  EXPECT_EQ(first_request("whatsapp", kWa, obj(R"({"id":"../../me"})")).error().field, "id");
}

TEST(MediaSteps, TelegramAsksGetFileThenDownloadsTheFilePath) {
  auto first = first_request("telegram", kTg, obj(R"({"type":"image","id":"AgAC+x/y="})"));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->url, "https://api.telegram.org/bot123:ABC/getFile?file_id=AgAC%2Bx%2Fy%3D");
  auto n = next("telegram", kTg, 0, HttpResponse{200, {}, R"({"ok":true,"result":{"file_id":"x","file_path":"photos/file_3.jpg"}})"});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->request->url, "https://api.telegram.org/file/bot123:ABC/photos/file_3.jpg");
  EXPECT_EQ(next("telegram", kTg, 0, HttpResponse{200, {}, R"({"ok":true,"result":{"file_path":"../../x"}})"}).error().code,
            "provider_bad_response");
}

TEST(MediaSteps, TwilioRedirectIsRecheckedAndGetsNoCredentials) {
  auto first = first_request("twilio", kTw, obj(R"({"type":"image","url":"https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"})"));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(header(*first, "Authorization"), "Basic QUMxOnRvaw==");
  auto n = next("twilio", kTw, 0, HttpResponse{307, {{"location", "https://media.twiliocdn.com/AC1/abc"}}, ""});
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(n->request->url, "https://media.twiliocdn.com/AC1/abc");
  EXPECT_EQ(header(*n->request, "Authorization"), "") << "the account's credentials stay with api.twilio.com";
  // Not even to the API's own host (a proxy, the simulator): the redirect leads to the media store.
  auto same = next("twilio", kTw, 0, HttpResponse{307, {{"location", "https://api.twilio.com/cdn/ME1"}}, ""});
  ASSERT_TRUE(same.ok()) << same.error().message;
  EXPECT_EQ(header(*same->request, "Authorization"), "");
  EXPECT_EQ(next("twilio", kTw, 0, HttpResponse{302, {{"Location", "http://10.0.0.5/x"}}, ""}).error().code,
            "media_host_not_allowed");
  EXPECT_EQ(next("twilio", kTw, 3, HttpResponse{302, {{"Location", "https://media.twiliocdn.com/x"}}, ""}).error().code,
            "media_unavailable") << "at most three steps";
}

// Viber's media URLs carry their own signature: no auth token goes with them, and a redirect is
// re-checked like the first URL (the metadata address, another host, plain http: refused).
TEST(MediaSteps, ViberSendsNoTokenAndRechecksRedirects) {
  const auto vb = obj(R"({"auth_token":"secret-token","sender_name":"Shop"})");
  auto first = first_request("viber", vb, obj(R"({"type":"image","url":"https://dl-media.viber.com/3/media/2/short/any/sig/image/0x0/d793/p.jpg?Expires=1&Signature=x&Key-Pair-Id=K"})"));
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(first->headers.empty()) << first->headers[0].first;
  EXPECT_EQ(first->url.find("secret-token"), std::string::npos);
  for (std::string_view to : {"https://169.254.169.254/latest/meta-data/", "https://evil.example/p.jpg",
                              "http://dl-media.viber.com/p.jpg", "https://user:pw@dl-media.viber.com/p.jpg"}) {
    auto n = next("viber", vb, 0, HttpResponse{302, {{"Location", std::string(to)}}, ""});
    ASSERT_FALSE(n.ok()) << to;
    EXPECT_EQ(n.error().code, "media_host_not_allowed") << to;
  }
  auto ok = next("viber", vb, 0, HttpResponse{302, {{"Location", "https://dl-media.viber.com/3/p.jpg"}}, ""});
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->request->headers.empty());
  auto file = next("viber", vb, 1, HttpResponse{200, {{"Content-Type", "image/jpeg"}}, "JPEG"});
  ASSERT_TRUE(file.ok());
  EXPECT_FALSE(file->request);
  EXPECT_EQ(file->mime_type, "image/jpeg");
}

TEST(MediaSteps, WeChatGetsTheMediaIdThroughMediaGetWithTheAccessToken) {
  auto att = obj(R"({"type":"image","id":"1G6nrLmr5EC3MMb_-zK1dDdzmd0p7cNliYu9V5w7o8K0","url":"http://mmbiz.qpic.cn/x/0"})");
  EXPECT_TRUE(needs_access_token("wechat"));
  EXPECT_FALSE(needs_access_token("whatsapp"));
  EXPECT_EQ(first_request("wechat", kWx, att).error().code, "access_token_missing");
  auto first = first_request("wechat", kWx, att, "12_ab+c/d");
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->method, "GET");
  EXPECT_EQ(first->url, "https://api.weixin.qq.com/cgi-bin/media/get?access_token=12_ab%2Bc%2Fd"
                        "&media_id=1G6nrLmr5EC3MMb_-zK1dDdzmd0p7cNliYu9V5w7o8K0")
      << "the MediaId through the API, never the plain-http PicUrl";
  EXPECT_TRUE(first->headers.empty());
  EXPECT_EQ(first_request("wechat", kWx, obj(R"({"id":"a&media_id=b"})"), "t").error().field, "id");
  // An image or a voice note: the bytes themselves, typed by Content-Type.
  auto file = next("wechat", kWx, 0,
                   HttpResponse{200, {{"Content-Type", "image/jpeg"}, {"Content-disposition", "attachment; filename=\"M.jpg\""}}, "JPEG"});
  ASSERT_TRUE(file.ok()) << file.error().message;
  EXPECT_FALSE(file->request);
  EXPECT_EQ(file->mime_type, "image/jpeg");
  // A video: {"video_url"} on WeChat's hosts, fetched without the token.
  auto video = next("wechat", kWx, 0, HttpResponse{200, {{"Content-Type", "application/json; encoding=utf-8"}},
                                                  R"({"video_url":"https://mpvideo.weixin.qq.com/v/1.mp4"})"});
  ASSERT_TRUE(video.ok()) << video.error().message;
  ASSERT_TRUE(video->request);
  EXPECT_EQ(video->request->url, "https://mpvideo.weixin.qq.com/v/1.mp4");
  EXPECT_TRUE(video->request->headers.empty());
  EXPECT_EQ(next("wechat", kWx, 0, HttpResponse{200, {{"Content-Type", "application/json"}}, R"({"video_url":"https://169.254.169.254/x"})"})
                .error().code, "media_host_not_allowed");
  EXPECT_EQ(next("wechat", kWx, 0, HttpResponse{200, {{"Content-Type", "application/json"}}, R"({"video_url":"http://mpvideo.weixin.qq.com/1.mp4"})"})
                .error().code, "media_host_not_allowed") << "https only";
  // Failures come as HTTP 200 with {"errcode","errmsg"}.
  auto bad_id = next("wechat", kWx, 0, HttpResponse{200, {{"Content-Type", "text/plain"}}, R"({"errcode":40007,"errmsg":"invalid media_id"})"});
  ASSERT_FALSE(bad_id.ok());
  EXPECT_EQ(bad_id.error().code, "media_unavailable");
  EXPECT_NE(bad_id.error().message.find("40007"), std::string::npos) << bad_id.error().message;
  EXPECT_EQ(next("wechat", kWx, 0, HttpResponse{200, {{"Content-Type", "application/json"}}, R"({"errcode":42001,"errmsg":"access_token expired"})"})
                .error().code, "access_token_invalid");
  EXPECT_EQ(next("wechat", kWx, 0, HttpResponse{200, {{"Content-Type", "application/json"}}, R"({"errcode":-1,"errmsg":"system error"})"})
                .error().errc, Errc::unavailable);
  EXPECT_EQ(next("wechat", kWx, 0, HttpResponse{200, {{"Content-Type", "application/json"}}, R"({"errcode":45009,"errmsg":"quota"})"})
                .error().errc, Errc::unavailable) << "a quota is worth a later retry";
  EXPECT_EQ(next("wechat", kWx, 0, HttpResponse{200, {{"Content-Type", "application/json"}}, R"({"errcode":0})"}).error().code,
            "provider_bad_response");
}

TEST(MediaSteps, RefusalsAreRetriedOnlyWhenRetryingCanHelp) {
  EXPECT_EQ(next("messenger", kMs, 0, HttpResponse{404, {}, ""}).error().code, "media_unavailable");
  EXPECT_EQ(next("messenger", kMs, 0, HttpResponse{503, {}, ""}).error().errc, Errc::unavailable);
  EXPECT_EQ(first_request("messenger", kMs, obj(R"({"type":"image"})")).error().code, "unsupported_media_source");
  EXPECT_EQ(first_request("email", kMs, obj(R"({"type":"image","url":"https://x"})")).error().code, "unsupported_media_source");
}

TEST(MediaTypes, ActiveContentIsNeverInline) {
  for (std::string_view t : {"text/html", "image/svg+xml", "application/xhtml+xml", "text/xml; charset=utf-8",
                             "application/javascript", "", "application/octet-stream", "application/vnd.foo+xml"})
    EXPECT_TRUE(active_type(t)) << t;
  for (std::string_view t : {"image/jpeg", "image/png", "audio/ogg; codecs=opus", "video/mp4", "IMAGE/WEBP"})
    EXPECT_FALSE(active_type(t)) << t;
}

}  // namespace
}  // namespace bottega::channels::media
