// Messaging windows, as a pure rule over the time of the customer's last message:
// - WhatsApp: free-form messages only within 24 h of the customer's last message; outside it only
//   an approved template (configured per channel, with its parameter count).
// - Messenger and Instagram: 24 h; a reply written by a person may go up to 7 days after, tagged
//   HUMAN_AGENT; after that nothing.
// - WeChat Official Accounts: customer-service messages only within 48 h of the customer's last
//   message (events such as a follow or a menu click do not open it: WeChat allows only 3
//   messages within a minute after those); outside it only a template message (template/send,
//   configured per channel like WhatsApp's, to a follower at any time).
// - Other channels: no window.
// No I/O, thread-safe; `now` is passed in so tests (and callers) control time.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bottega/errors.hpp"

namespace bottega::channels {

inline constexpr int64_t kServiceWindowMs = 24LL * 3600 * 1000;
inline constexpr int64_t kHumanAgentWindowMs = 7LL * 24 * 3600 * 1000;
inline constexpr int64_t kWeChatWindowMs = 48LL * 3600 * 1000;

// An approved template as configured on the channel: WhatsApp's (by name and language), or a
// WeChat template message (the shop's label as name, and the template library's id and keys).
struct MessageTemplate {
  std::string name;      // [a-z0-9_], as approved in WhatsApp Manager (WeChat: the shop's label)
  std::string language;  // "en_US", "it" (WeChat: as configured, "zh_CN" by default)
  size_t parameters = 0; // body parameters ({{1}}..{{n}}); WeChat: keys.size()
  // WeChat only: template_id in the account's template library, the data keys in parameter order
  // ("first", "keyword1", ..., "remark"; or "thing1", "time2"...), the page a tap opens (or "").
  std::string template_id{};
  std::vector<std::string> keys{};
  std::string url{};
};
// The channel setting "templates" (at most 100):
//   WhatsApp (and any other type): [{"name","language","parameters"?}]
//   WeChat: [{"name","language"?,"template_id","keys":[...],"url"?}]
// Errors: invalid_argument naming "settings.templates[i].<key>".
Result<std::vector<MessageTemplate>> parse_templates(const boost::json::object& settings,
                                                     std::string_view channel_type = "whatsapp");

// What an agent asks to send as a template.
struct TemplateSend {
  std::string name, language;
  std::vector<std::string> parameters;
};
// The configured template t names (name and language), or nullptr.
const MessageTemplate* find_template(const std::vector<MessageTemplate>& templates, const TemplateSend& t);

enum class WindowPolicy { none, whatsapp, meta, wechat };
WindowPolicy window_policy(std::string_view channel_type);

// How many messages the provider accepts in reply to one customer message (counted from that
// message; the next customer message starts a new count), or 0 for no such limit. WeChat's
// customer-service API: 5 (errcode 45047 past them).
int replies_per_inbound(std::string_view channel_type);

struct WindowState {
  WindowPolicy policy = WindowPolicy::none;
  std::optional<int64_t> last_inbound_ms;       // the customer's last message, if any
  bool open = true;                             // free-form messages allowed now
  std::optional<int64_t> closes_at_ms;          // end of the 24 h window
  bool human_agent_open = false;                // meta: a person's reply allowed (with the tag)
  std::optional<int64_t> human_agent_until_ms;  // meta: end of the 7-day window
};
WindowState window_state(std::string_view channel_type, std::optional<int64_t> last_inbound_ms,
                         int64_t now_ms);

struct SendVerdict {
  bool allowed = true;
  bool human_agent_tag = false;  // send with Messenger's HUMAN_AGENT tag
  std::string message;           // why not, for the API error
};
// Whether a message may go out now. `template_message`: a template (allowed any time on WhatsApp
// and WeChat; refused elsewhere). `by_person`: written by a person (agent session, or an API call
// that says so), which opens Meta's 7-day HUMAN_AGENT window.
SendVerdict check_send(const WindowState& w, bool template_message, bool by_person);

// The window as shown on GET /api/v1/conversations/{id}:
// {"policy":"none"|"whatsapp"|"meta"|"wechat","open","last_inbound_at","closes_at","human_agent_open",
//  "human_agent_until","templates":[{"name","language","parameters"}]}.
boost::json::object window_json(const WindowState& w, const std::vector<MessageTemplate>& templates);

// Checks a template send against the configured templates: name and language must match one,
// and the parameter count must equal its count. Errors: invalid_argument naming "template.name"
// / "template.parameters".
Status check_template(const TemplateSend& t, const std::vector<MessageTemplate>& templates);

}  // namespace bottega::channels
