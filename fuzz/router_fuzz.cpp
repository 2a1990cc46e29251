// Untrusted request targets: percent-decoding and route matching.
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string>

#include "http/router.hpp"

using namespace bottega::http;

namespace {
boost::asio::awaitable<Response> nothing(Context&) { co_return Response{}; }
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Router* router = [] {
    auto* r = new Router();
    Handler h = nothing;
    r->add("GET", "/api/v1/conversations", h, {});
    r->add("GET", "/api/v1/conversations/{id}", h, {});
    r->add("POST", "/api/v1/conversations/{id}/messages", h, {});
    r->add("GET", "/api/v1/webchat/{channel_id}/messages", h, {});
    r->add("GET", "/assets/{file}", h, {});
    return r;
  }();
  std::string in(reinterpret_cast<const char*>(data), size);
  auto q = in.find('?');
  std::string path = in.substr(0, q);
  if (auto decoded = percent_decode(path, false)) {
    (void)router->match("GET", *decoded, false);
    (void)router->match("POST", *decoded, false);
  }
  if (q != std::string::npos) (void)percent_decode(in.substr(q + 1), true);
  return 0;
}
