#include "channels/instagram/instagram.hpp"

#include "channels/meta/messaging.hpp"

namespace bottega::channels::instagram {

Result<Settings> parse_settings(const boost::json::object& settings) {
  BOTTEGA_TRY(page, meta::parse_page_settings(settings));
  Settings s;
  static_cast<meta::PageSettings&>(s) = std::move(page);
  return s;
}

Status verify(const WebhookRequest& req, const Settings& settings) {
  return meta::verify_signature(req, settings.app_secret);
}

Result<std::string> verify_subscription(std::string_view query, std::string_view verify_token) {
  return meta::verify_subscription(query, verify_token);
}

Result<InboundBatch> parse(std::string_view body) {
  return meta::parse_messaging(meta::Platform::instagram, body);
}

Result<HttpRequest> build_send(const Settings& settings, std::string_view to,
                               const OutboundMessage& msg) {
  return meta::build_messaging_send(meta::Platform::instagram, settings, to, msg);
}

Result<std::vector<HttpRequest>> build_sends(const Settings& settings, std::string_view to,
                                             const OutboundMessage& msg) {
  return meta::build_messaging_sends(meta::Platform::instagram, settings, to, msg);
}

Result<std::string> parse_send_response(int http_status, std::string_view body) {
  return meta::parse_messaging_send_response(meta::Platform::instagram, http_status, body);
}

}  // namespace bottega::channels::instagram
