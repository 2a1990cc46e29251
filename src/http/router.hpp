// Routing table: method + path pattern ("/api/v1/conversations/{id}") -> handler, with the metadata
// that the OpenAPI document is generated from (a route missing from OpenAPI cannot exist).
#pragma once

#include <any>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

namespace bottega::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using Request = beast::http::request<beast::http::string_body>;
using Response = beast::http::response<beast::http::string_body>;
using WebSocket = beast::websocket::stream<beast::tcp_stream>;

// Per-request view handed to handlers.
struct Context {
  Request& req;
  std::string path;    // percent-decoded path, no query
  std::string query;   // raw query string without '?'
  std::vector<std::pair<std::string, std::string>> params;  // path parameters by name
  std::string remote_ip;
  std::string route;   // the matched pattern, for metrics ("/api/v1/conversations/{id}")
  std::any local;      // what a WebSocket authorizer learned (e.g. who is calling), for its handler

  // Path parameter by name ("" if absent).
  const std::string& param(std::string_view name) const;
  // First query parameter by name, percent-decoded.
  std::optional<std::string> query_param(std::string_view name) const;
  // Request header value ("" if absent).
  std::string_view header(std::string_view name) const;
};

using Handler = std::function<asio::awaitable<Response>(Context&)>;
// Takes over an accepted WebSocket (handshake already done) for the life of the connection.
using WsHandler = std::function<asio::awaitable<void>(Context&, WebSocket&)>;
// Decides from the request's headers whether to go on: a response refuses the request, nullopt
// lets it through (it may leave what it learned in ctx.local).
using Authorizer = std::function<asio::awaitable<std::optional<Response>>(Context&)>;
// Runs before the handshake; a response with status != 101 refuses the upgrade.
using WsAuthorizer = Authorizer;

// Decodes %XX escapes (and '+' as a space when plus_as_space). nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view in, bool plus_as_space = false);

enum class Auth { none, agent, visitor, webhook };

struct RouteDoc {
  std::string summary;
  Auth auth = Auth::agent;
  std::string tag;                  // OpenAPI tag ("conversations", "webchat", ...)
  std::string request_schema;       // JSON Schema of the body as JSON text, or empty
  std::string response_schema;      // JSON Schema of the success body, or empty
  int success_status = 200;
  bool idempotent_create = false;   // honours Idempotency-Key
  size_t max_body_bytes = 0;        // a larger body than the server's limit (uploads); 0: the server's
  std::string too_large_code{};     // the 413's code past max_body_bytes (default payload_too_large)
  // Required with max_body_bytes: runs on the headers alone, before a body larger than the server's
  // limit (or of unknown length) is read; a response refuses the request unread and the connection
  // closes, so only a caller the route lets in can make the server read more than its limit.
  Authorizer body_authorize{};
};

class Router {
 public:
  // Throws std::logic_error for a doc with max_body_bytes but no body_authorize.
  void add(std::string method, std::string pattern, Handler h, RouteDoc doc);
  void add_ws(std::string pattern, WsAuthorizer authorize, WsHandler h, RouteDoc doc);

  struct Match {
    const Handler* handler = nullptr;
    const WsAuthorizer* ws_authorize = nullptr;
    const WsHandler* ws = nullptr;
    std::string pattern;
    std::vector<std::pair<std::string, std::string>> params;
    bool method_not_allowed = false;   // the path exists with another method
    std::vector<std::string> allowed;  // with method_not_allowed: the path's methods, sorted
    bool upgrade_required = false;     // the path exists only as a WebSocket route
    size_t max_body_bytes = 0;         // the route's own body limit (RouteDoc), 0: the server's
    std::string too_large_code{};
    const Authorizer* body_authorize = nullptr;  // with max_body_bytes (RouteDoc)
  };
  // Matches a percent-decoded path. Literal segments win over {param} segments (left to right);
  // a {param} matches one non-empty segment. HEAD matches GET routes. With `websocket`, a WS route
  // is preferred; when none matches, the HTTP routes are matched as for a plain request.
  // No handler set: method_not_allowed (with `allowed`), upgrade_required, or neither (not found).
  Match match(std::string_view method, std::string_view path, bool websocket) const;

  struct Entry {
    std::string method;  // "GET", ... or "WS"
    std::string pattern;
    RouteDoc doc;
  };
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
    WsAuthorizer ws_authorize;
    WsHandler ws;
    std::string pattern;
    size_t max_body_bytes = 0;
    std::string too_large_code{};
    Authorizer body_authorize;
  };
  std::vector<Route> routes_;
  std::vector<Entry> entries_;
};

}  // namespace bottega::http
