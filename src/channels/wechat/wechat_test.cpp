#include "channels/wechat/wechat.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "channels/rate_limits.hpp"
#include "channels/wechat/xml.hpp"

namespace bottega::channels::wechat {
namespace {

namespace bj = boost::json;

Settings test_settings() { return Settings{"wx1234567890abcdef", "appsecret", "bottegatoken", "http://127.0.0.1:9400/wechat"}; }

bj::object content(const InboundMessage& m) { return bj::parse(m.content_json).as_object(); }
bj::object body_of(const HttpRequest& r) { return bj::parse(r.body).as_object(); }

// python3: hashlib.sha1(''.join(sorted([token, timestamp, nonce])).encode()).hexdigest()
constexpr std::string_view kSig = "4d56eeff6abd0c32c22fc0b9cd6f70b9697f195c";

TEST(WeChatSignature, Sha1OfSortedTokenTimestampNonce) {
  EXPECT_EQ(signature("bottegatoken", "1714037059", "486452656"), kSig);
  // The three are sorted as strings first, so their order does not matter.
  EXPECT_EQ(signature("486452656", "bottegatoken", "1714037059"), kSig);
  EXPECT_NE(signature("bottegatoken", "1714037059", "486452657"), kSig);
}

// WeChat publishes no plaintext-mode vector; this one is the check_signature test of wechatpy
// (tests/test_utils.py), reused by several independent WeChat libraries.
TEST(WeChatSignature, TheWechatpyVector) {
  EXPECT_EQ(signature("test", "1410685589", "test"), "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff");
  auto s = test_settings();
  s.token = "test";
  WebhookRequest req;
  req.method = "POST";
  req.body = "<xml/>";
  req.query = "signature=f21891de399b4e33a1a93c9a7b8a8fffb5a443ff&timestamp=1410685589&nonce=test";
  EXPECT_TRUE(verify(req, s).ok());
  req.query = "signature=f21891de399b4e33a1a93c9a7b8a8fffb5a443fe&timestamp=1410685589&nonce=test";
  EXPECT_EQ(verify(req, s).error().code, "bad_signature");
}

TEST(WeChatVerify, QuerySignature) {
  WebhookRequest req;
  req.method = "POST";
  req.body = "<xml/>";
  req.query = "signature=" + std::string(kSig) + "&timestamp=1714037059&nonce=486452656&openid=oUser";
  EXPECT_TRUE(verify(req, test_settings()).ok());
  req.query = "signature=" + std::string(kSig) + "&timestamp=1714037060&nonce=486452656";
  EXPECT_EQ(verify(req, test_settings()).error().code, "bad_signature");
  req.query = "timestamp=1714037059&nonce=486452656";
  EXPECT_EQ(verify(req, test_settings()).error().code, "missing_signature");
  req.query = "signature=" + std::string(kSig) + "&timestamp=1714037059&nonce=486452656&encrypt_type=aes&msg_signature=x";
  auto aes = verify(req, test_settings());
  EXPECT_EQ(aes.error().code, "encrypted_mode_unsupported");
  EXPECT_EQ(aes.error().errc, Errc::unauthenticated);
  // Plaintext mode does not sign the body: the signed timestamp must be recent.
  req.query = "signature=" + std::string(kSig) + "&timestamp=1714037059&nonce=486452656";
  req.received_at_ms = 1714037059LL * 1000 + 4 * 60 * 1000;
  EXPECT_TRUE(verify(req, test_settings()).ok());
  req.received_at_ms = 1714037059LL * 1000 + 6 * 60 * 1000;
  EXPECT_EQ(verify(req, test_settings()).error().code, "stale_timestamp");
  req.received_at_ms = 0;
  Settings other = test_settings();
  other.token = "othertoken";
  req.query = "signature=" + std::string(kSig) + "&timestamp=1714037059&nonce=486452656";
  EXPECT_EQ(verify(req, other).error().code, "bad_signature");
}

TEST(WeChatVerify, ServerUrlVerificationEchoes) {
  std::string q = "signature=" + std::string(kSig) + "&timestamp=1714037059&nonce=486452656&echostr=5837397749168749281";
  auto echo = verify_subscription(q, test_settings());
  ASSERT_TRUE(echo.ok()) << echo.error().message;
  EXPECT_EQ(*echo, "5837397749168749281");
  auto bad = verify_subscription("signature=0&timestamp=1714037059&nonce=486452656&echostr=1", test_settings());
  EXPECT_EQ(bad.error().errc, Errc::forbidden);
  auto script = verify_subscription(
      "signature=" + std::string(kSig) + "&timestamp=1714037059&nonce=486452656&echostr=%3Cscript%3E", test_settings());
  EXPECT_EQ(script.error().field, "echostr");
  EXPECT_EQ(verify_subscription("signature=x&timestamp=1&nonce=2", test_settings()).error().field, "echostr");
}

TEST(WeChatSettings, Validates) {
  auto ok = parse_settings(bj::parse(R"({"app_id":"wx1","app_secret":"s","token":"abc123"})").as_object());
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->api_base_url, "https://api.weixin.qq.com");
  EXPECT_EQ(parse_settings(bj::parse(R"({"app_id":"wx1","app_secret":"s","token":"ab"})").as_object()).error().field,
            "settings.token");
  EXPECT_EQ(parse_settings(bj::parse(R"({"app_id":"wx/1","app_secret":"s","token":"abc"})").as_object()).error().field,
            "settings.app_id");
  auto aes = parse_settings(
      bj::parse(R"({"app_id":"wx1","app_secret":"s","token":"abc","encoding_aes_key":"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"})")
          .as_object());
  EXPECT_EQ(aes.error().code, "encrypted_mode_unsupported");
  EXPECT_EQ(aes.error().field, "settings.encoding_aes_key");
}

TEST(WeChatParse, TextMessage) {
  auto batch = parse(R"(<xml>
  <ToUserName><![CDATA[gh_shop]]></ToUserName>
  <FromUserName><![CDATA[oUser123]]></FromUserName>
  <CreateTime>1348831860</CreateTime>
  <MsgType><![CDATA[text]]></MsgType>
  <Content><![CDATA[你好 <b>&amp; more]]></Content>
  <MsgId>1234567890123456</MsgId>
</xml>)");
  ASSERT_TRUE(batch.ok()) << batch.error().field << ": " << batch.error().message;
  ASSERT_EQ(batch->messages.size(), 1u);
  const auto& m = batch->messages[0];
  EXPECT_EQ(m.provider_message_id, "1234567890123456");
  EXPECT_EQ(m.contact_external_id, "oUser123");
  EXPECT_EQ(m.account_id, "gh_shop");
  EXPECT_EQ(m.timestamp_ms, 1348831860000);
  EXPECT_EQ(m.kind, MessageKind::text);
  EXPECT_TRUE(m.opens_window);
  EXPECT_EQ(m.text, "你好 <b>&amp; more");  // CDATA is literal
  auto escaped = parse("<xml><FromUserName>o1</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType>"
                       "<Content>a &lt; b &amp;&#x4F60;&#22909;</Content><MsgId>2</MsgId></xml>");
  ASSERT_TRUE(escaped.ok());
  EXPECT_EQ(escaped->messages[0].text, "a < b &你好");
}

TEST(WeChatParse, MessageTypes) {
  auto msg = [](std::string inner) {
    return parse("<xml><ToUserName>gh</ToUserName><FromUserName>oU</FromUserName><CreateTime>1700000000</CreateTime>" +
                 inner + "</xml>");
  };
  auto image = msg("<MsgType>image</MsgType><PicUrl>http://mmbiz.qpic.cn/x</PicUrl><MediaId>mid1</MediaId><MsgId>3</MsgId>");
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->messages[0].kind, MessageKind::media);
  auto att = content(image->messages[0]).at("attachments").as_array()[0].as_object();
  EXPECT_EQ(att.at("type").as_string(), "image");
  EXPECT_EQ(att.at("id").as_string(), "mid1");
  EXPECT_EQ(att.at("url").as_string(), "http://mmbiz.qpic.cn/x");

  auto voice = msg("<MsgType>voice</MsgType><MediaId>v1</MediaId><Format>amr</Format><Recognition>你好</Recognition><MsgId>4</MsgId>");
  ASSERT_TRUE(voice.ok());
  EXPECT_EQ(voice->messages[0].text, "你好");
  EXPECT_EQ(content(voice->messages[0]).at("attachments").as_array()[0].as_object().at("type").as_string(), "audio");

  auto video = msg("<MsgType>shortvideo</MsgType><MediaId>v2</MediaId><ThumbMediaId>t</ThumbMediaId><MsgId>5</MsgId>");
  ASSERT_TRUE(video.ok());
  EXPECT_EQ(content(video->messages[0]).at("attachments").as_array()[0].as_object().at("type").as_string(), "video");

  auto loc = msg("<MsgType>location</MsgType><Location_X>23.134521</Location_X><Location_Y>113.358803</Location_Y>"
                 "<Scale>20</Scale><Label><![CDATA[位置信息]]></Label><MsgId>6</MsgId>");
  ASSERT_TRUE(loc.ok());
  EXPECT_EQ(loc->messages[0].kind, MessageKind::location);
  EXPECT_DOUBLE_EQ(content(loc->messages[0]).at("latitude").as_double(), 23.134521);
  EXPECT_EQ(loc->messages[0].text, "Location: 位置信息");

  auto link = msg("<MsgType>link</MsgType><Title>Shoes</Title><Description>d</Description><Url>https://x.example/s</Url><MsgId>7</MsgId>");
  ASSERT_TRUE(link.ok());
  EXPECT_EQ(link->messages[0].text, "Shoes\nhttps://x.example/s");

  auto menu = msg("<MsgType>text</MsgType><Content>Size L</Content><bizmsgmenuid>size_l</bizmsgmenuid><MsgId>8</MsgId>");
  ASSERT_TRUE(menu.ok());
  EXPECT_EQ(menu->messages[0].kind, MessageKind::interactive_reply);
  EXPECT_EQ(content(menu->messages[0]).at("id").as_string(), "size_l");

  auto other = msg("<MsgType>miniprogrampage</MsgType><MsgId>9</MsgId>");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->messages[0].kind, MessageKind::unsupported);
  EXPECT_EQ(other->messages[0].text, "Unsupported WeChat message: miniprogrampage");

  EXPECT_EQ(msg("<MsgType>text</MsgType><Content>x</Content>").error().field, "xml.MsgId");
  EXPECT_EQ(msg("<MsgType>image</MsgType><MsgId>1</MsgId>").error().field, "xml.MediaId");
  EXPECT_EQ(parse("<xml><FromUserName>o</FromUserName><CreateTime>x</CreateTime><MsgType>text</MsgType></xml>").error().field,
            "xml.CreateTime");
  EXPECT_EQ(parse("<root><FromUserName>o</FromUserName></root>").error().code, "invalid_xml");
}

TEST(WeChatParse, EventsAreDedupedByUserAndTime) {
  auto ev = [](std::string inner) {
    return parse("<xml><ToUserName>gh</ToUserName><FromUserName>oU</FromUserName><CreateTime>1700000000</CreateTime>"
                 "<MsgType>event</MsgType>" + inner + "</xml>");
  };
  auto sub = ev("<Event>subscribe</Event><EventKey>qrscene_42</EventKey>");
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(sub->messages[0].provider_message_id, "evt:oU:1700000000");
  EXPECT_FALSE(sub->messages[0].opens_window);
  EXPECT_EQ(sub->messages[0].kind, MessageKind::unsupported);
  EXPECT_EQ(sub->messages[0].text, "WeChat event: subscribe (followed the account)");
  EXPECT_EQ(content(sub->messages[0]).at("event_key").as_string(), "qrscene_42");
  auto click = ev("<Event>CLICK</Event><EventKey>MENU_SALES</EventKey>");
  ASSERT_TRUE(click.ok());
  EXPECT_EQ(click->messages[0].kind, MessageKind::interactive_reply);
  EXPECT_EQ(content(click->messages[0]).at("id").as_string(), "MENU_SALES");
  auto where = ev("<Event>LOCATION</Event><Latitude>23.137466</Latitude><Longitude>113.352425</Longitude><Precision>119.385040</Precision>");
  ASSERT_TRUE(where.ok());
  EXPECT_EQ(where->messages[0].kind, MessageKind::location);
  auto job = ev("<Event>TEMPLATESENDJOBFINISH</Event><Status>success</Status><MsgID>200163836</MsgID>");
  ASSERT_TRUE(job.ok());
  EXPECT_TRUE(job->messages.empty());
  ASSERT_EQ(job->statuses.size(), 1u) << "the template message's delivery report";
  EXPECT_EQ(job->statuses[0].provider_message_id, "200163836");
  EXPECT_EQ(job->statuses[0].state, DeliveryState::delivered);
  auto blocked = ev("<Event>TEMPLATESENDJOBFINISH</Event><MsgID>3487542469355618313</MsgID><Status><![CDATA[failed:user block]]></Status>");
  ASSERT_TRUE(blocked.ok());
  ASSERT_EQ(blocked->statuses.size(), 1u);
  EXPECT_EQ(blocked->statuses[0].provider_message_id, "3487542469355618313");
  EXPECT_EQ(blocked->statuses[0].state, DeliveryState::failed);
  EXPECT_EQ(blocked->statuses[0].error_code, "user_block");
  EXPECT_EQ(blocked->statuses[0].error_reason, "WeChat template message: failed:user block");
  auto system = ev("<Event>TEMPLATESENDJOBFINISH</Event><MsgID>1</MsgID><Status><![CDATA[failed: system failed]]></Status>");
  ASSERT_TRUE(system.ok());
  EXPECT_EQ(system->statuses[0].error_code, "template_send_failed");
  EXPECT_EQ(ev("<Event>TEMPLATESENDJOBFINISH</Event><Status>success</Status>").error().field, "xml.MsgID");
  EXPECT_TRUE(ev("<Event>MASSSENDJOBFINISH</Event><MsgID>1</MsgID>")->statuses.empty());
  EXPECT_EQ(ev("<EventKey>x</EventKey>").error().field, "xml.Event");
}

TEST(WeChatXml, RefusesWhatItDoesNotKnow) {
  auto code = [](std::string_view s) {
    auto r = xml::parse(s);
    return r.ok() ? std::string("ok") : r.error().code;
  };
  EXPECT_EQ(code("<xml><a>1</a></xml>"), "ok");
  EXPECT_EQ(code("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<xml><a/></xml>\n"), "ok");
  // External entities and entity expansion: no DOCTYPE at all, no undeclared entities.
  EXPECT_EQ(code("<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><xml><a>&x;</a></xml>"),
            "invalid_xml");
  EXPECT_EQ(code("<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;\">]><xml>&lol2;</xml>"), "invalid_xml");
  EXPECT_EQ(code("<xml><a>&lol;</a></xml>"), "invalid_xml");
  EXPECT_EQ(code("<xml><!-- c --><a/></xml>"), "invalid_xml");
  EXPECT_EQ(code("<xml><?pi x?><a/></xml>"), "invalid_xml");
  EXPECT_EQ(code("<xml a=\"1\"><b/></xml>"), "invalid_xml");
  EXPECT_EQ(code("<xml><a></b></xml>"), "invalid_xml");
  EXPECT_EQ(code("<xml><a>"), "invalid_xml");
  EXPECT_EQ(code("<xml/><xml/>"), "invalid_xml");
  EXPECT_EQ(code("<xml><a>&#0;</a></xml>"), "invalid_xml");
  EXPECT_EQ(code("<xml><a>&#xD800;</a></xml>"), "invalid_xml");
  EXPECT_EQ(code("<xml><a>\x01</a></xml>"), "invalid_xml");
  EXPECT_EQ(code("<xml><a>\xff</a></xml>"), "invalid_xml");
  EXPECT_EQ(code("<xml><![CDATA[x</xml>"), "invalid_xml");
  std::string deep;
  for (int i = 0; i < 20; ++i) deep += "<a>";
  EXPECT_EQ(code("<xml>" + deep + "</xml>"), "invalid_xml");
  EXPECT_EQ(code(std::string(2 << 20, ' ')), "payload_too_large");
  auto r = xml::parse("<xml><A><![CDATA[x]]>y&amp;<![CDATA[]]>z</A><B><C>1</C></B></xml>");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->child_text("A"), "xy&z");
  EXPECT_EQ(r->child("B")->child_text("C"), "1");
}

TEST(WeChatSend, TextMenuNews) {
  OutboundMessage msg;
  msg.text = "Hello 你好";
  msg.link = LinkButton{"Pay \"now\"", "https://pay.example/x?a=1&b=\"2\""};
  auto req = build_send(test_settings(), "oUser123", msg);
  ASSERT_TRUE(req.ok()) << req.error().message;
  EXPECT_EQ(req->url, "http://127.0.0.1:9400/wechat/cgi-bin/message/custom/send");
  auto b = body_of(*req);
  EXPECT_EQ(b.at("touser").as_string(), "oUser123");
  EXPECT_EQ(b.at("msgtype").as_string(), "text");
  EXPECT_EQ(b.at("text").as_object().at("content").as_string(),
            "Hello 你好\n\n<a href=\"https://pay.example/x?a=1&b=%222%22\">Pay \"now\"</a>");
  authorize(*req, "TOKEN/+=");
  EXPECT_EQ(req->url, "http://127.0.0.1:9400/wechat/cgi-bin/message/custom/send?access_token=TOKEN%2F%2B%3D");

  msg.link.reset();
  msg.choices = {{"size_m", "M", ""}, {"size_l", "L", ""}};
  auto menu = body_of(*build_send(test_settings(), "o", msg));
  EXPECT_EQ(menu.at("msgtype").as_string(), "msgmenu");
  EXPECT_EQ(menu.at("msgmenu").as_object().at("head_content").as_string(), "Hello 你好");
  EXPECT_EQ(menu.at("msgmenu").as_object().at("list").as_array()[1].as_object().at("id").as_string(), "size_l");

  OutboundMessage card;
  card.text = "Trail Runner\n129 €";
  card.card = ProductCard{"TR", "Trail Runner", "129 €", "", "https://cdn.example/tr.jpg", true};
  card.link = LinkButton{"Buy", "https://shop.example/tr"};
  auto news = body_of(*build_send(test_settings(), "o", card));
  EXPECT_EQ(news.at("msgtype").as_string(), "news");
  const auto& art = news.at("news").as_object().at("articles").as_array()[0].as_object();
  EXPECT_EQ(art.at("url").as_string(), "https://shop.example/tr");
  EXPECT_EQ(art.at("picurl").as_string(), "https://cdn.example/tr.jpg");

  OutboundMessage big;
  for (int i = 0; i < 683; ++i) big.text += "你";  // 683 characters, 2049 bytes
  EXPECT_EQ(build_send(test_settings(), "o", big).error().code, "text_too_long");
}

// What WeChat's customer-service message cannot show degrades to text: more options than a
// msgmenu takes (10) or options too long for it, numbered in the text; a card without an image
// (no news article) as text with its link.
TEST(WeChatSend, RichMessagesFallBackToText) {
  OutboundMessage msg;
  msg.text = "Pick a size";
  for (int i = 1; i <= 11; ++i) msg.choices.push_back({"s" + std::to_string(i), "Size " + std::to_string(i), ""});
  auto b = body_of(*build_send(test_settings(), "o", msg));
  EXPECT_EQ(b.at("msgtype").as_string(), "text");
  std::string content(b.at("text").as_object().at("content").as_string());
  EXPECT_NE(content.find("Pick a size"), std::string::npos) << content;
  EXPECT_NE(content.find("1. Size 1"), std::string::npos) << content;
  EXPECT_NE(content.find("11. Size 11"), std::string::npos) << content;
  msg.choices.resize(10);
  EXPECT_EQ(body_of(*build_send(test_settings(), "o", msg)).at("msgtype").as_string(), "msgmenu");
  msg.choices = {{"long", std::string(65, 'x'), ""}, {"b", "B", ""}};
  EXPECT_EQ(body_of(*build_send(test_settings(), "o", msg)).at("msgtype").as_string(), "text");

  OutboundMessage card;
  card.text = "Trail Runner\n129 €";
  card.card = ProductCard{"TR", "Trail Runner", "129 €", "", "", true};  // no image
  card.link = LinkButton{"Buy", "https://shop.example/tr"};
  auto t = body_of(*build_send(test_settings(), "o", card));
  EXPECT_EQ(t.at("msgtype").as_string(), "text");
  EXPECT_NE(std::string(t.at("text").as_object().at("content").as_string()).find("<a href=\"https://shop.example/tr\">Buy</a>"),
            std::string::npos);
}

Settings with_templates() {
  auto parsed = parse_settings(bj::parse(R"({"app_id":"wx1","app_secret":"s","token":"tok123",
      "api_base_url":"http://127.0.0.1:9400/wechat",
      "templates":[{"name":"order_shipped","template_id":"ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY",
                    "keys":["first","keyword1","remark"],"url":"https://shop.example/orders"},
                   {"name":"paid","language":"en_US","template_id":"T2","keys":["thing1"]}]})").as_object());
  EXPECT_TRUE(parsed.ok()) << parsed.error().message;
  return *parsed;
}

TEST(WeChatTemplates, ConfiguredPerChannelAndSentWithTheirKeys) {
  Settings s = with_templates();
  ASSERT_EQ(s.templates.size(), 2u);
  EXPECT_EQ(s.templates[0].language, "zh_CN") << "the default language";
  EXPECT_EQ(s.templates[0].parameters, 3u);
  auto req = build_template_send(s, "oUser1", TemplateSend{"order_shipped", "zh_CN", {"您的订单已发货", "B-1042", "谢谢"}});
  ASSERT_TRUE(req.ok()) << req.error().message;
  EXPECT_EQ(req->method, "POST");
  EXPECT_EQ(req->url, "http://127.0.0.1:9400/wechat/cgi-bin/message/template/send");
  EXPECT_EQ(body_of(*req), bj::parse(R"({"touser":"oUser1","template_id":"ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY",
      "url":"https://shop.example/orders","data":{"first":{"value":"您的订单已发货"},"keyword1":{"value":"B-1042"},
      "remark":{"value":"谢谢"}}})"));
  auto noUrl = build_template_send(s, "oUser1", TemplateSend{"paid", "en_US", {"Paid"}});
  ASSERT_TRUE(noUrl.ok());
  EXPECT_FALSE(body_of(*noUrl).contains("url"));
  EXPECT_EQ(build_template_send(s, "oUser1", TemplateSend{"paid", "zh_CN", {"x"}}).error().field, "template.name");
  EXPECT_EQ(build_template_send(s, "oUser1", TemplateSend{"paid", "en_US", {}}).error().field, "template.parameters");
  EXPECT_EQ(build_template_send(s, "oUser1", TemplateSend{"paid", "en_US", {""}}).error().field, "template.parameters[0]");
  // The send answer's msgid is the message's provider id (TEMPLATESENDJOBFINISH reports on it).
  EXPECT_EQ(*parse_send_response(200, R"({"errcode":0,"errmsg":"ok","msgid":3487542469355618313})"), "3487542469355618313");
  EXPECT_EQ(*parse_send_response(200, R"({"errcode":0,"errmsg":"ok","msgid":200228332})"), "200228332");
  EXPECT_EQ(parse_send_response(200, R"({"errcode":40037,"errmsg":"invalid template_id"})").error().code, "template_rejected");
  EXPECT_EQ(parse_send_response(200, R"({"errcode":43004,"errmsg":"require subscribe"})").error().code, "recipient_unavailable");
}

TEST(WeChatTemplates, BadConfigurationIsRefusedNamingTheField) {
  auto field = [](std::string_view templates) {
    auto r = parse_settings(bj::parse(std::string(R"({"app_id":"wx1","app_secret":"s","token":"tok123","templates":)") +
                                      std::string(templates) + "}").as_object());
    return r.ok() ? std::string("ok") : r.error().field;
  };
  EXPECT_EQ(field(R"([{"name":"a","template_id":"T","keys":["first"]}])"), "ok");
  EXPECT_EQ(field(R"([{"name":"a","keys":["first"]}])"), "settings.templates[0].template_id");
  EXPECT_EQ(field(R"([{"name":"a","template_id":"T/../x","keys":["first"]}])"), "settings.templates[0].template_id");
  EXPECT_EQ(field(R"([{"name":"a","template_id":"T","keys":[]}])"), "settings.templates[0].keys");
  EXPECT_EQ(field(R"([{"name":"a","template_id":"T","keys":["first","first"]}])"), "settings.templates[0].keys[1]");
  EXPECT_EQ(field(R"([{"name":"a","template_id":"T","keys":["a.DATA"]}])"), "settings.templates[0].keys[0]");
  EXPECT_EQ(field(R"j([{"name":"a","template_id":"T","keys":["k"],"url":"javascript:alert(1)"}])j"), "settings.templates[0].url");
  EXPECT_EQ(field(R"([{"name":"a","template_id":"T","keys":["k"],"parameters":1}])"), "settings.templates[0].parameters");
  EXPECT_EQ(field(R"([{"name":"A b","template_id":"T","keys":["k"]}])"), "settings.templates[0].name");
}

TEST(WeChatSend, FilesGoAsLinksAfterTheText) {
  OutboundAttachment pdf;
  pdf.mime_type = "application/pdf";
  pdf.filename = "invoice.pdf";
  pdf.size = 1234;
  pdf.bytes = std::make_shared<const std::string>("%PDF-1.4");
  pdf.public_url = "https://shop.example/media/med_1/invoice.pdf?exp=1&sig=ab";
  OutboundAttachment photo = pdf;
  photo.mime_type = "image/png";
  photo.filename = "box.png";
  photo.public_url = "https://shop.example/media/med_2/box.png?exp=1&sig=cd";
  OutboundMessage msg;
  msg.text = "Here you are";
  msg.attachments = {pdf, photo};
  auto req = build_send(test_settings(), "oUser1", msg);
  ASSERT_TRUE(req.ok()) << req.error().message;
  EXPECT_EQ(body_of(*req), bj::parse(R"({"touser":"oUser1","msgtype":"text","text":{"content":
      "Here you are\n\ninvoice.pdf: https://shop.example/media/med_1/invoice.pdf?exp=1&sig=ab\nbox.png: https://shop.example/media/med_2/box.png?exp=1&sig=cd"}})"));
  // No caption: the links alone.
  msg.text.clear();
  msg.attachments = {pdf};
  auto only = build_send(test_settings(), "oUser1", msg);
  ASSERT_TRUE(only.ok()) << only.error().message;
  EXPECT_EQ(body_of(*only).at("text").at("content"), "invoice.pdf: https://shop.example/media/med_1/invoice.pdf?exp=1&sig=ab");
  msg.attachments[0].public_url.clear();
  EXPECT_EQ(build_send(test_settings(), "oUser1", msg).error().field, "attachments[0].public_url");
}

OutboundAttachment file(std::string mime, std::string name, std::string bytes) {
  OutboundAttachment f;
  f.mime_type = std::move(mime);
  f.filename = std::move(name);
  f.size = static_cast<int64_t>(bytes.size());
  f.bytes = std::make_shared<const std::string>(std::move(bytes));
  f.public_url = "https://shop.example/media/med_" + f.filename + "?exp=1&sig=ab";
  return f;
}

TEST(WeChatSend, ImagesAreUploadedThenSentAsImageMessagesNamingTheMediaId) {
  OutboundMessage msg;
  msg.text = "Your parcel";
  msg.attachments = {file("image/png", "box.png", "\x89PNG\r\n\x1a\nbytes"), file("application/pdf", "invoice.pdf", "%PDF-1.4"),
                     file("image/jpeg", "label.jpg", "\xff\xd8\xff jpeg")};
  auto parts = build_parts(test_settings(), "oUser1", msg);
  ASSERT_TRUE(parts.ok()) << parts.error().message;
  ASSERT_EQ(parts->size(), 3u);
  // The text first, with the link of the file WeChat does not show (image messages have no caption).
  EXPECT_FALSE((*parts)[0].then);
  EXPECT_EQ((*parts)[0].request.url, "http://127.0.0.1:9400/wechat/cgi-bin/message/custom/send");
  EXPECT_EQ(body_of((*parts)[0].request), bj::parse(R"({"touser":"oUser1","msgtype":"text","text":{"content":
      "Your parcel\n\ninvoice.pdf: https://shop.example/media/med_invoice.pdf?exp=1&sig=ab"}})"));
  // Then per image: the upload (multipart field "media"), then the image message from its answer.
  const SendPart& png = (*parts)[1];
  ASSERT_TRUE(png.then);
  EXPECT_EQ(png.request.method, "POST");
  EXPECT_EQ(png.request.url, "http://127.0.0.1:9400/wechat/cgi-bin/media/upload?type=image");
  HttpRequest authorized = png.request;
  authorize(authorized, "TOKEN");
  EXPECT_EQ(authorized.url, "http://127.0.0.1:9400/wechat/cgi-bin/media/upload?type=image&access_token=TOKEN");
  ASSERT_EQ(png.request.headers.size(), 1u);
  EXPECT_EQ(png.request.headers[0].first, "Content-Type");
  EXPECT_EQ(png.request.headers[0].second.rfind("multipart/form-data; boundary=", 0), 0u);
  EXPECT_NE(png.request.body.find("Content-Disposition: form-data; name=\"media\"; filename=\"box.png\"\r\n"
                                  "Content-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\nbytes\r\n"),
            std::string::npos);
  auto image = png.then(200, R"({"type":"image","media_id":"MEDIA_1","created_at":1714037059})");
  ASSERT_TRUE(image.ok()) << image.error().message;
  EXPECT_EQ(image->url, "http://127.0.0.1:9400/wechat/cgi-bin/message/custom/send");
  EXPECT_EQ(body_of(*image), bj::parse(R"({"touser":"oUser1","msgtype":"image","image":{"media_id":"MEDIA_1"}})"));
  EXPECT_NE((*parts)[2].request.body.find("filename=\"label.jpg\"\r\nContent-Type: image/jpeg"), std::string::npos);
  // The upload's errors read like a send's: a refused token is fetched again, others refuse the part.
  EXPECT_EQ(png.then(200, R"({"errcode":40001,"errmsg":"invalid credential"})").error().code, "access_token_invalid");
  EXPECT_EQ(png.then(200, R"({"errcode":40005,"errmsg":"invalid file type"})").error().code, "provider_rejected");
  EXPECT_EQ(png.then(200, R"({"errcode":-1,"errmsg":"system error"})").error().errc, Errc::unavailable);
  EXPECT_EQ(png.then(200, R"({"type":"image","created_at":1})").error().code, "provider_bad_response");
  EXPECT_EQ(png.then(502, "bad gateway").error().errc, Errc::unavailable);
}

TEST(WeChatSend, OnlyImagesWeChatTakesAreUploadedTheRestStayLinks) {
  // An image alone: no text message first.
  OutboundMessage msg;
  msg.attachments = {file("image/gif", "wave.gif", "GIF89a...")};
  auto only = build_parts(test_settings(), "oUser1", msg);
  ASSERT_TRUE(only.ok()) << only.error().message;
  ASSERT_EQ(only->size(), 1u);
  EXPECT_TRUE((*only)[0].then);
  // Over 2 MB, WebP, voice and video: links in the one text message (what uploads() says).
  auto big = file("image/jpeg", "big.jpg", std::string(kMaxImageBytes + 1, 'x'));
  EXPECT_FALSE(uploads(big));
  big.size = kMaxImageBytes;
  EXPECT_TRUE(uploads(big));
  big.size = kMaxImageBytes + 1;
  msg.attachments = {big, file("image/webp", "a.webp", "RIFF"), file("audio/mpeg", "a.mp3", "ID3"),
                     file("video/mp4", "a.mp4", "ftyp")};
  for (const auto& f : msg.attachments) EXPECT_FALSE(uploads(f)) << f.filename;
  auto links = build_parts(test_settings(), "oUser1", msg);
  ASSERT_TRUE(links.ok()) << links.error().message;
  ASSERT_EQ(links->size(), 1u);
  EXPECT_FALSE((*links)[0].then);
  EXPECT_EQ(body_of((*links)[0].request).at("text").at("content"),
            "big.jpg: https://shop.example/media/med_big.jpg?exp=1&sig=ab\n"
            "a.webp: https://shop.example/media/med_a.webp?exp=1&sig=ab\n"
            "a.mp3: https://shop.example/media/med_a.mp3?exp=1&sig=ab\n"
            "a.mp4: https://shop.example/media/med_a.mp4?exp=1&sig=ab");
  // A link-only file needs no bytes; an image to upload does.
  msg.attachments[0].bytes.reset();
  EXPECT_TRUE(build_parts(test_settings(), "oUser1", msg).ok());
  msg.attachments = {file("image/png", "box.png", "png")};
  msg.attachments[0].bytes.reset();
  EXPECT_EQ(build_parts(test_settings(), "oUser1", msg).error().field, "attachments[0].bytes");
  EXPECT_EQ(parse_upload_response(200, R"({"type":"image","media_id":"M","created_at":1})").value(), "M");
}

TEST(WeChatSend, ResponsesAndTokens) {
  auto ok = parse_send_response(200, R"({"errcode":0,"errmsg":"ok"})");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "");
  EXPECT_EQ(parse_send_response(200, R"({"errcode":40001,"errmsg":"invalid credential"})").error().code, "access_token_invalid");
  EXPECT_EQ(parse_send_response(200, R"({"errcode":42001,"errmsg":"access_token expired"})").error().code, "access_token_invalid");
  EXPECT_EQ(parse_send_response(200, R"({"errcode":45015,"errmsg":"response out of time limit"})").error().code, "outside_window");
  EXPECT_EQ(parse_send_response(200, R"({"errcode":43004,"errmsg":"require subscribe"})").error().code, "recipient_unavailable");
  EXPECT_EQ(parse_send_response(200, R"({"errcode":45011,"errmsg":"api minute-quota reach limit"})").error().errc, Errc::rate_limited);
  EXPECT_EQ(parse_send_response(200, R"({"errcode":-1,"errmsg":"system error"})").error().errc, Errc::unavailable);
  EXPECT_EQ(parse_send_response(502, "").error().errc, Errc::unavailable);
  EXPECT_EQ(parse_send_response(200, R"({"errcode":40003,"errmsg":"invalid openid"})").error().code, "recipient_unavailable");

  auto req = build_token_request(test_settings());
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.url, "http://127.0.0.1:9400/wechat/cgi-bin/token?grant_type=client_credential&appid=wx1234567890abcdef&secret=appsecret");
  auto token = parse_token_response(200, R"({"access_token":"ACCESS_TOKEN","expires_in":7200})");
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->token, "ACCESS_TOKEN");
  EXPECT_EQ(token->expires_in_s, 7200);
  EXPECT_EQ(parse_token_response(200, R"({"errcode":40013,"errmsg":"invalid appid"})").error().code, "provider_unauthorized");
  EXPECT_EQ(parse_token_response(500, "").error().errc, Errc::unavailable);

  HttpResponse r;
  r.status = 200;
  r.body = R"({"errcode":45011})";
  EXPECT_EQ(read_throttle("wechat", r, 1, 0).retry_after_ms, 60000);
}

}  // namespace
}  // namespace bottega::channels::wechat
