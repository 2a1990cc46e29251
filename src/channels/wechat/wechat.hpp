// WeChat Official Accounts adapter (plaintext mode): the server-URL verification GET, the
// signature check of XML callbacks, their normalization, and the customer-service message API
// (message/custom/send) with its access_token from cgi-bin/token. Pure functions, no I/O;
// thread-safe. Wire formats and sources: docs/channels.md#wechat-official-accounts.
//
// Safe (AES-encrypted) mode is not supported: a channel with settings.encoding_aes_key is refused,
// and a callback with encrypt_type=aes is rejected with 401 "encrypted_mode_unsupported".
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "bottega/channel.hpp"
#include "bottega/errors.hpp"
#include "bottega/http_client.hpp"
#include "channels/send_part.hpp"
#include "channels/window.hpp"

namespace bottega::channels::wechat {

inline constexpr std::string_view kType = "wechat";
inline constexpr std::string_view kDefaultApiBaseUrl = "https://api.weixin.qq.com";

struct Settings {
  std::string app_id;        // "wx..." (AppID)
  std::string app_secret;    // secret: AppSecret, for cgi-bin/token
  std::string token;         // secret: the server configuration's Token (3-32 letters and digits)
  std::string api_base_url;  // no trailing '/'
  std::vector<MessageTemplate> templates{};  // template messages ("templates" setting, see window.hpp)
};

// Errors: invalid_argument naming "settings.<key>"; settings.encoding_aes_key ->
// "encrypted_mode_unsupported".
Result<Settings> parse_settings(const boost::json::object& settings);

// The signature of WeChat's server checks: hex SHA-1 of token, timestamp and nonce sorted as
// strings and concatenated.
std::string signature(std::string_view token, std::string_view timestamp, std::string_view nonce);

// A POST callback: its query's signature (over token, timestamp, nonce) must match, compared in
// constant time. Errors: unauthenticated "missing_signature" (no signature, timestamp or nonce),
// "bad_signature", "encrypted_mode_unsupported" (encrypt_type=aes).
Status verify(const WebhookRequest& req, const Settings& settings);

// The server-URL verification GET (?signature&timestamp&nonce&echostr): echostr when the
// signature matches (echostr limited to [A-Za-z0-9_.-], at most 128 bytes, since it is echoed).
// Errors: forbidden "bad_signature", invalid_argument naming the missing parameter.
Result<std::string> verify_subscription(std::string_view query, const Settings& settings);

// Normalizes one XML callback (<xml><ToUserName/><FromUserName/><CreateTime/><MsgType/>...</xml>):
//   text -> text (with bizmsgmenuid: the tap of a msgmenu option we sent -> interactive_reply,
//     content id = the option's id); image -> media (id = MediaId, url = PicUrl); voice -> media
//     audio (text = Recognition when present); video / shortvideo -> media video; location ->
//     location (Location_X = latitude, Location_Y = longitude, Label); link -> text "Title\nUrl";
//   event: CLICK -> interactive_reply (id = EventKey); LOCATION -> location; subscribe,
//     unsubscribe, SCAN, VIEW and other user events -> unsupported "WeChat event: <Event>" (kept,
//     shown); events have opens_window = false (WeChat allows 3 messages within a minute after
//     one, not 48 hours); TEMPLATESENDJOBFINISH -> a status of the template message MsgID
//     ("success" -> delivered, "failed:..." -> failed with the reason); MASSSENDJOBFINISH and
//     the subscription-message events -> an empty batch.
//   Other MsgTypes -> unsupported.
// provider_message_id: MsgId; events "evt:<FromUserName>:<CreateTime>". contact_external_id:
// FromUserName (the OpenID); account_id: ToUserName. Errors: invalid_argument "invalid_xml", or
// naming the missing element ("xml.MsgId").
Result<InboundBatch> parse(std::string_view body);

// POST {api_base_url}/cgi-bin/message/custom/send (JSON; the access_token is added by
// authorize()): a product card with an image and a link (and no choices) -> "news" with one
// article; choices (at most 10) -> "msgmenu" (head_content = the text and link, one option per
// choice); else "text", the link as an <a href> hyperlink. Files (attachments) go as lines
// "filename: public_url" after the text (the customer-service API has no file type); build_parts
// sends images natively instead. Errors: invalid_argument ("attachments[i].public_url"
// when a file has no public URL), "text_too_long" (over 2048 bytes).
Result<HttpRequest> build_send(const Settings& settings, std::string_view openid, const OutboundMessage& msg);

// Whether a file goes to WeChat as a native image message (and so is uploaded): a PNG, JPEG or GIF
// of at most kMaxImageBytes (docs/channels.md#wechat-official-accounts "Outbound files"). Every
// other file (voice, video, documents, larger images) goes as a "filename: public_url" line.
inline constexpr int64_t kMaxImageBytes = 2 * 1024 * 1024;
bool uploads(const OutboundAttachment& file);

// Every customer-service message of msg, in order. Without files (or with none WeChat shows
// natively): build_send's one request. With images: the text (with choices, link and the link lines
// of the other files) first when there is any, then per image a chain (SendPart::then): POST
// {api_base_url}/cgi-bin/media/upload?type=image (multipart/form-data, the file in field "media";
// access_token added by authorize()), then, from its answer's media_id, message/custom/send
// {"touser","msgtype":"image","image":{"media_id"}} (image messages have no caption). Errors as
// build_send's, and invalid_argument "attachments[i].bytes" when an image has no bytes.
Result<std::vector<SendPart>> build_parts(const Settings& settings, std::string_view openid, const OutboundMessage& msg);

// media/upload's answer {"type","media_id","created_at"} -> the media_id; {"errcode","errmsg"} ->
// the errors of parse_send_response (40001 -> access_token_invalid, ...); no media_id ->
// unprocessable "provider_bad_response".
Result<std::string> parse_upload_response(int http_status, std::string_view body);

// "" on {"errcode":0} (the customer-service API returns no message id); a template send's
// {"errcode":0,"msgid":N} -> "N" (the id TEMPLATESENDJOBFINISH reports on). Also 40037 (invalid
// template_id) / 47003 (bad data) -> "template_rejected". Errors by errcode: 40001 / 40014 / 42001
// -> unauthenticated "access_token_invalid" (get a new token, then retry); 45015 -> unprocessable
// "outside_window"; 45047 -> unprocessable "response_limit"; 43004 / 40003 -> unprocessable
// "recipient_unavailable"; 45009 / 45011 -> rate_limited; -1 and HTTP 5xx -> unavailable;
// 40013 / 40125 / 40164 / 48001 -> unauthenticated "provider_unauthorized"; else
// "provider_rejected".
Result<std::string> parse_send_response(int http_status, std::string_view body);

// POST {api_base_url}/cgi-bin/message/template/send (JSON; access_token added by authorize()):
// {"touser","template_id","url"?,"data":{key:{"value"}}}, the parameters given to the configured
// template's keys in order. Errors: invalid_argument "template.name" (not configured),
// "template.parameters" (count, or a value over 200 bytes or empty).
Result<HttpRequest> build_template_send(const Settings& settings, std::string_view openid, const TemplateSend& t);

// GET {api_base_url}/cgi-bin/token?grant_type=client_credential&appid=...&secret=...
HttpRequest build_token_request(const Settings& settings);
// {"access_token","expires_in"} -> the token; errors as parse_send_response.
Result<AccessToken> parse_token_response(int http_status, std::string_view body);
// Adds ?access_token=<token> to a send request.
void authorize(HttpRequest& req, std::string_view access_token);

}  // namespace bottega::channels::wechat
