// Media download answers from providers (untrusted bytes): WhatsApp media metadata, Telegram
// getFile, redirects. Whatever the bytes, a next request may only go to an allowed URL.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <boost/json/parse.hpp>

#include "channels/media.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bottega;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  static const boost::json::object wa = boost::json::parse(R"({"access_token":"t"})").as_object();
  static const boost::json::object tg = boost::json::parse(R"({"bot_token":"1:a"})").as_object();
  static const boost::json::object tw = boost::json::parse(R"({"account_sid":"AC1","auth_token":"x"})").as_object();
  struct Case {
    const char* type;
    const boost::json::object* settings;
  } cases[] = {{"whatsapp", &wa}, {"telegram", &tg}, {"twilio", &tw}, {"messenger", &wa}};
  for (const auto& c : cases)
    for (int status : {200, 302, 404}) {
      HttpResponse r{status, {{"Location", bytes.substr(0, 200)}, {"Content-Type", bytes.substr(0, 40)}}, bytes};
      auto n = channels::media::next(c.type, *c.settings, 0, r);
      // Telegram's file path is joined to the configured API, not checked as a foreign URL.
      if (n.ok() && n->request && std::string(c.type) != "telegram" &&
          !channels::media::check_url(c.type, *c.settings, n->request->url).ok())
        std::abort();  // a next step to a URL the allow-list refuses
    }
  (void)channels::media::active_type(bytes);
  return 0;
}
