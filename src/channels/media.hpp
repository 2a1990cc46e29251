// Downloading a customer's media through the provider's API, as data and pure functions (the job
// that runs them is pipeline/media.hpp). Each channel type fetches in one or two steps:
//   WhatsApp   GET {api}/{media id} (Bearer)          -> {"url",...}; GET url (Bearer)
//   Telegram   GET {api}/bot{token}/getFile?file_id=  -> result.file_path; GET {api}/file/bot{token}/{path}
//   Messenger, Instagram   GET the attachment's CDN url
//   Twilio     GET MediaUrl (Basic auth); Twilio answers with a redirect to its media store
//   WeChat     GET {api}/cgi-bin/media/get?access_token=&media_id= -> the file, or (video) JSON
//              {"video_url"} -> GET video_url; failures are JSON {"errcode","errmsg"} with HTTP 200
// Every URL is checked against the provider's host allow-list (plus the host of the channel's
// api_base_url, for simulators) before it is fetched, redirects included; the HTTP client then
// refuses any host that resolves to a private, loopback, link-local or metadata address.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bottega/errors.hpp"
#include "bottega/http_client.hpp"

namespace bottega::channels::media {

// Whether `url` is an https (or, for the channel's own api_base_url host, http) URL on a host the
// provider serves media from. Errors: media_host_not_allowed (403), invalid_url (400).
Status check_url(std::string_view channel_type, const boost::json::object& settings, std::string_view url);

// Whether the channel's media API takes the channel's short-lived access token (WeChat): the
// caller obtains one (pipeline/access_tokens.hpp) and passes it to first_request.
bool needs_access_token(std::string_view channel_type);

// The first request for attachment `att` (an element of content.attachments) of a channel.
// unsupported_media_source when the attachment names nothing to fetch; internal
// "access_token_missing" when the channel needs a token and none is given.
Result<HttpRequest> first_request(std::string_view channel_type, const boost::json::object& settings,
                                  const boost::json::object& att, std::string_view access_token = {});

// What a step's answer says next: the file itself (done), or the next request (WhatsApp's media
// URL, Telegram's file path, a redirect), with what the provider said about the file.
struct Next {
  std::optional<HttpRequest> request;  // none: `response.body` is the file
  std::string mime_type;               // from the provider's metadata, when given
  std::string sha256;                  // hex, WhatsApp's metadata, when given
};
// `step` counts from 0; at most 3 steps are followed. Errors name the provider's refusal
// (media_unavailable: 4xx, retrying cannot help; provider_unavailable: 5xx) or a bad answer;
// WeChat's refusal of the token is unauthenticated "access_token_invalid" (drop it, retry).
Result<Next> next(std::string_view channel_type, const boost::json::object& settings, int step,
                  const HttpResponse& response);

// Types a browser would run (HTML, SVG, XML, JavaScript, CSS): never accepted as an agent's upload.
bool runnable_type(std::string_view mime_type);
// Those, and PDF, octet-stream, multipart and unknown types: served as downloads, never inline.
bool active_type(std::string_view mime_type);

}  // namespace bottega::channels::media
