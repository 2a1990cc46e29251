#include "http/server.hpp"
#include "http/exception_text.hpp"

#include <array>
#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <unordered_map>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace bottega::http {

namespace bhttp = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kTok = asio::as_tuple(asio::use_awaitable);
constexpr size_t kWsMaxMessage = 64 << 10;
constexpr size_t kMaxFileBytes = 32 << 20;
constexpr size_t kLingerMaxBytes = 4 << 20;
// After refusing a body unread: about one socket buffer, so a client still sending gets a chance
// to read the refusal, but never the body it announced.
constexpr size_t kUnreadLingerMaxBytes = 64 << 10;
constexpr auto kLingerTimeout = std::chrono::seconds(2);

void log_line(const std::string& line) {
  // One fputs per line keeps concurrent lines from interleaving.
  std::fputs((line + "\n").c_str(), stderr);
}

std::string error_body(std::string_view code, std::string_view message, std::string_view field) {
  boost::json::object err;
  err["code"] = code;
  err["message"] = message;
  if (!field.empty()) err["field"] = field;
  boost::json::object root;
  root["error"] = std::move(err);
  return boost::json::serialize(root);
}

void set_security_headers(Response& res) {
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
}

// Label value for the method: known verbs as is, anything else collapsed (bounded cardinality).
std::string method_label(const Request& req) {
  if (req.method() == bhttp::verb::unknown) return "OTHER";
  return std::string(req.method_string());
}

// Errors that mean the peer went away or we gave up on it: close without answering.
bool is_protocol_error(const beast::error_code& ec) {
  if (ec.category() != bhttp::make_error_code(bhttp::error::bad_method).category()) return false;
  return ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

// Percent-decodes a request path. Refuses an encoded '/' or NUL (they would change what the
// segments mean) and malformed escapes.
std::optional<std::string> decode_path(std::string_view raw) {
  if (raw.empty() || raw.front() != '/') return std::nullopt;
  for (size_t i = 0; i + 2 < raw.size(); ++i) {
    if (raw[i] != '%') continue;
    if ((raw[i + 1] == '2' && (raw[i + 2] == 'f' || raw[i + 2] == 'F')) ||
        (raw[i + 1] == '0' && raw[i + 2] == '0')) {
      return std::nullopt;
    }
  }
  return percent_decode(raw, false);
}

std::string_view content_type_for(std::string_view path) {
  const size_t slash = path.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  const size_t dot = name.rfind('.');
  if (dot == std::string_view::npos) return "application/octet-stream";
  std::string ext(name.substr(dot + 1));
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {"html", "text/html; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"json", "application/json; charset=utf-8"},
      {"ico", "image/x-icon"},
      {"map", "application/json; charset=utf-8"},
      {"woff2", "font/woff2"},
      {"txt", "text/plain; charset=utf-8"},
  };
  for (const auto& [e, type] : kTypes) {
    if (e == ext) return type;
  }
  return "application/octet-stream";
}

bool safe_relative_path(std::string_view rel) {
  if (rel.empty() || rel.front() == '/') return false;
  if (rel.find('\0') != std::string_view::npos || rel.find('\\') != std::string_view::npos) {
    return false;
  }
  while (!rel.empty()) {
    const size_t slash = rel.find('/');
    if (rel.substr(0, slash) == "..") return false;
    if (slash == std::string_view::npos) break;
    rel.remove_prefix(slash + 1);
  }
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Response builders

Response error_response(const Request& req, int status, std::string_view code,
                        std::string_view message) {
  return json_response(req, status, error_body(code, message, {}));
}

Response error_response(const Request& req, const Error& e) {
  return json_response(req, http_status(e.errc), error_body(e.code, e.message, e.field));
}

Response json_response(const Request& req, int status, std::string body) {
  Response res = text_response(req, status, std::move(body), "application/json; charset=utf-8");
  res.set(bhttp::field::cache_control, "no-store");
  return res;
}

Response text_response(const Request& req, int status, std::string body, std::string content_type) {
  Response res;
  res.result(static_cast<unsigned>(status));
  res.version(req.version());
  res.keep_alive(req.keep_alive());
  res.set(bhttp::field::content_type, content_type);
  set_security_headers(res);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

std::optional<Response> file_response(const Request& req, const std::string& root,
                                      std::string_view rel_path) {
  if (!safe_relative_path(rel_path)) return std::nullopt;
  namespace fs = std::filesystem;
  const fs::path path = fs::path(root) / fs::path(std::string(rel_path));
  std::error_code ec;
  if (!fs::is_regular_file(path, ec) || ec) return std::nullopt;
  const auto size = fs::file_size(path, ec);
  if (ec || size > kMaxFileBytes) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string body(static_cast<size_t>(size), '\0');
  in.read(body.data(), static_cast<std::streamsize>(size));
  if (static_cast<size_t>(in.gcount()) != size) return std::nullopt;
  return text_response(req, 200, std::move(body), std::string(content_type_for(rel_path)));
}

// ---------------------------------------------------------------------------------------------
// Server

namespace {

struct Session;

// Shared by the Server object and its connections, so connections may outlive the Server.
struct ServerState : std::enable_shared_from_this<ServerState> {
  ServerState(asio::io_context& io_, ServerOptions opts_, const Router& router_, Metrics& metrics_)
      : io(io_),
        opts(std::move(opts_)),
        router(router_),
        metrics(metrics_),
        accept_strand(asio::make_strand(io_)),
        acceptor(accept_strand) {}

  asio::io_context& io;
  const ServerOptions opts;
  const Router& router;
  Metrics& metrics;
  asio::strand<asio::io_context::executor_type> accept_strand;
  tcp::acceptor acceptor;  // used on accept_strand only
  std::atomic<bool> stopping{false};

  mutable std::mutex mu;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;  // GUARDED_BY(mu)

  void remove_session(Session* s);
  void set_connections_gauge_locked() {
    metrics.set("bottega_http_connections", {}, static_cast<double>(sessions.size()));
  }

  void record(const std::string& method, const std::string& route, unsigned status,
              Clock::time_point start) {
    const std::string r = label_escape(route);
    metrics.inc("bottega_http_requests_total", "method=\"" + label_escape(method) + "\",route=\"" +
                                                   r + "\",status=\"" + std::to_string(status) +
                                                   "\"");
    const std::chrono::duration<double> d = Clock::now() - start;
    metrics.observe("bottega_http_request_duration_seconds", "route=\"" + r + "\"", d.count());
  }

  void stop();
  static asio::awaitable<void> accept_loop(std::shared_ptr<ServerState> self);
};

struct Session : std::enable_shared_from_this<Session> {
  enum class State { idle, busy, websocket };

  Session(std::shared_ptr<ServerState> srv, tcp::socket sock)
      : server(std::move(srv)), stream(std::move(sock)), ex(stream.get_executor()) {
    beast::error_code ec;
    auto ep = stream.socket().remote_endpoint(ec);
    if (!ec) {
      auto addr = ep.address();
      if (addr.is_v6() && addr.to_v6().is_v4_mapped()) {
        addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
      }
      remote_ip = addr.to_string();
    }
  }
  ~Session() { server->remove_session(this); }

  // Runs on the session's strand: wakes an idle connection so it closes; a WebSocket is closed
  // (its handler sees an error); a busy connection closes after its response.
  void on_stop() {
    switch (state) {
      case State::idle:
        stream.cancel();
        break;
      case State::busy:
        break;
      case State::websocket:
        if (ws) beast::get_lowest_layer(*ws).close();
        break;
    }
  }

  std::shared_ptr<ServerState> server;
  beast::tcp_stream stream;  // moved into `ws` on upgrade
  asio::any_io_executor ex;  // the connection's strand
  std::optional<WebSocket> ws;
  State state = State::idle;
  std::string remote_ip;
};

void log_exception(std::string_view what, std::exception_ptr e) {
  if (e) log_line("bottega http: " + std::string(what) + ": " + exception_text(e));
}

// Half-closes, then reads and discards what the peer still sends (bounded in bytes and time) so
// that closing does not reset the connection before the peer has read our response.
asio::awaitable<void> lingering_close(beast::tcp_stream& stream, size_t max_bytes = kLingerMaxBytes) {
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (!ec) {
    stream.expires_after(kLingerTimeout);
    std::array<char, 8192> sink;
    size_t total = 0;
    while (total < max_bytes) {
      auto [rec, n] = co_await stream.async_read_some(asio::buffer(sink), kTok);
      if (rec) break;
      total += n;
    }
  }
  stream.close();
}

class Connection {
 public:
  explicit Connection(std::shared_ptr<Session> s) : s_(std::move(s)), srv_(*s_->server) {}

  asio::awaitable<void> run() {
    beast::flat_buffer buffer;
    bool first = true;
    for (;;) {
      s_->state = Session::State::idle;
      if (srv_.stopping) break;
      // Keep-alive: the idle timeout runs until the next request's first byte, then the header
      // timeout. A new connection gets only the header timeout.
      if (!first && buffer.size() == 0) {
        s_->stream.expires_after(std::chrono::seconds(srv_.opts.idle_timeout_s));
        auto [ec, n] = co_await s_->stream.async_read_some(buffer.prepare(4096), kTok);
        if (ec) break;
        buffer.commit(n);
      }
      first = false;

      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(boost::none);  // set below, once the route is known
      parser.header_limit(static_cast<std::uint32_t>(srv_.opts.max_header_bytes));
      s_->stream.expires_after(std::chrono::seconds(srv_.opts.header_timeout_s));
      auto [hec, hn] = co_await bhttp::async_read_header(s_->stream, buffer, parser, kTok);
      const auto start = Clock::now();
      if (hec) {
        if (is_protocol_error(hec)) co_await refuse(parser.get(), hec, start);
        break;
      }
      s_->state = Session::State::busy;

      // A route that takes larger bodies (uploads) sets its own limit; only a body past the
      // server's limit (or of unknown length) pays for the route lookup. Such a body is read only
      // for a caller the route's authorizer lets in, judged on the headers alone: anyone else
      // gets the refusal unread and the connection closes. The header was read with no limit, so
      // Content-Length is checked here.
      size_t body_limit = srv_.opts.max_body_bytes;
      std::string too_large_code = "payload_too_large";
      if (!parser.is_done() && (!parser.content_length() || *parser.content_length() > body_limit)) {
        const std::string_view target = parser.get().target();
        const size_t qmark = target.find('?');
        if (auto path = decode_path(target.substr(0, qmark))) {
          auto m = srv_.router.match(parser.get().method_string(), *path, false);
          if (m.handler && m.max_body_bytes > 0 && m.body_authorize) {
            std::string query(qmark == std::string_view::npos ? std::string_view{} : target.substr(qmark + 1));
            Context actx{parser.get(), std::move(*path), std::move(query), std::move(m.params), s_->remote_ip,
                         m.pattern, {}};
            std::optional<Response> refusal = co_await authorize_body(actx, *m.body_authorize);
            if (refusal) {
              co_await refuse_unread(parser.get(), std::move(*refusal), m.pattern, start);
              break;
            }
            body_limit = m.max_body_bytes;
            if (!m.too_large_code.empty()) too_large_code = m.too_large_code;
          }
        }
        if (parser.content_length() && *parser.content_length() > body_limit) {
          co_await refuse(parser.get(), bhttp::error::body_limit, start, body_limit, too_large_code);
          break;
        }
      }
      parser.body_limit(body_limit);

      if (!parser.is_done()) {
        if (beast::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
          bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, parser.get().version()};
          s_->stream.expires_after(std::chrono::seconds(srv_.opts.idle_timeout_s));
          auto [cec, cn] = co_await bhttp::async_write(s_->stream, cont, kTok);
          if (cec) break;
        }
        s_->stream.expires_after(std::chrono::seconds(srv_.opts.idle_timeout_s));
        auto [bec, bn] = co_await bhttp::async_read(s_->stream, buffer, parser, kTok);
        if (bec) {
          if (is_protocol_error(bec)) co_await refuse(parser.get(), bec, start, body_limit, too_large_code);
          break;
        }
      }
      s_->stream.expires_never();

      Request req = parser.release();
      const Outcome outcome = co_await serve(req, start);
      if (outcome == Outcome::upgraded || outcome == Outcome::closed) co_return;
      if (outcome == Outcome::close) break;
    }
    if (s_->state != Session::State::websocket) {
      beast::error_code ec;
      s_->stream.socket().shutdown(tcp::socket::shutdown_send, ec);
      s_->stream.close();
    }
  }

 private:
  enum class Outcome { keep_alive, close, closed, upgraded };

  // Answers a request that could not be parsed (400, 413, 431), then closes.
  asio::awaitable<void> refuse(const Request& partial, const beast::error_code& ec, Clock::time_point start,
                               size_t body_limit = 0, const std::string& too_large_code = "payload_too_large") {
    Request req;
    req.version(partial.version() == 10 ? 10 : 11);
    req.keep_alive(false);
    Response res;
    if (ec == bhttp::error::body_limit) {
      res = error_response(req, 413, too_large_code,
                           "request body exceeds " +
                               std::to_string(body_limit ? body_limit : srv_.opts.max_body_bytes) + " bytes");
    } else if (ec == bhttp::error::header_limit) {
      res = error_response(req, 431, "headers_too_large", "request headers too large");
    } else {
      res = error_response(req, 400, "bad_request", "malformed HTTP request");
    }
    const std::string method =
        partial.method() == bhttp::verb::unknown ? "OTHER" : std::string(partial.method_string());
    const auto wec = co_await write(req, res, false);
    srv_.record(method, "unmatched", res.result_int(), start);
    if (!wec) co_await lingering_close(s_->stream);
  }

  // Runs a route's body authorizer on the headers; a throw refuses with 500.
  asio::awaitable<std::optional<Response>> authorize_body(Context& ctx, const Authorizer& authorize) {
    std::optional<Response> refusal;
    bool threw = false;
    try {
      refusal = co_await authorize(ctx);
    } catch (...) {
      threw = true;
      srv_.metrics.inc("bottega_http_handler_exceptions_total");
      log_exception("body authorizer " + ctx.route + " threw", std::current_exception());
    }
    if (threw) refusal = error_response(ctx.req, Error::internal("internal error"));
    co_return refusal;
  }

  // Answers a request whose body is not to be read (the authorizer's refusal), then closes: only
  // what fits a small drain is discarded, so the body is never read in full.
  asio::awaitable<void> refuse_unread(const Request& partial, Response res, const std::string& route,
                                      Clock::time_point start) {
    Request req;
    req.version(partial.version() == 10 ? 10 : 11);
    req.keep_alive(false);
    res.keep_alive(false);
    const auto wec = co_await write(req, res, false);
    srv_.record(method_label(partial), route, res.result_int(), start);
    if (!wec) co_await lingering_close(s_->stream, kUnreadLingerMaxBytes);
  }

  // Finalizes and writes a response (header only for HEAD). Returns the write error.
  asio::awaitable<beast::error_code> write(const Request& req, Response& res, bool head) {
    res.version(req.version());
    res.keep_alive(req.keep_alive() && res.keep_alive() && !srv_.stopping);
    res.set(bhttp::field::server, srv_.opts.server_header);
    set_security_headers(res);
    const unsigned status = res.result_int();
    if (status / 100 == 1 || status == 204 || status == 304) res.body().clear();
    res.prepare_payload();
    s_->stream.expires_after(std::chrono::seconds(srv_.opts.idle_timeout_s));
    beast::error_code ec;
    if (head) {
      bhttp::response_serializer<bhttp::string_body> sr{res};
      auto [wec, n] = co_await bhttp::async_write_header(s_->stream, sr, kTok);
      ec = wec;
    } else {
      auto [wec, n] = co_await bhttp::async_write(s_->stream, res, kTok);
      ec = wec;
    }
    s_->stream.expires_never();
    co_return ec;
  }

  // Writes res, records the metrics, says whether the connection stays open.
  asio::awaitable<Outcome> reply(const Request& req, Response res, const std::string& route,
                                 Clock::time_point start) {
    const auto ec = co_await write(req, res, req.method() == bhttp::verb::head);
    srv_.record(method_label(req), route, res.result_int(), start);
    if (ec) co_return Outcome::close;
    co_return res.keep_alive() ? Outcome::keep_alive : Outcome::close;
  }

  asio::awaitable<Outcome> serve(Request& req, Clock::time_point start) {
    const std::string_view target = req.target();
    const size_t qmark = target.find('?');
    const std::string_view raw_path = target.substr(0, qmark);
    const std::string_view raw_query =
        qmark == std::string_view::npos ? std::string_view{} : target.substr(qmark + 1);
    auto path = decode_path(raw_path);
    if (!path) {
      req.keep_alive(false);
      co_return co_await reply(req,
                               error_response(req, 400, "invalid_path", "invalid request path"),
                               "unmatched", start);
    }

    const bool upgrade = websocket::is_upgrade(req);
    Router::Match m = srv_.router.match(req.method_string(), *path, upgrade);
    const std::string route = m.pattern.empty() ? std::string("unmatched") : m.pattern;
    Context ctx{req,  std::move(*path), std::string(raw_query), std::move(m.params), s_->remote_ip,
                route, {}};

    if (m.ws != nullptr) co_return co_await serve_websocket(ctx, m, start);
    if (m.handler == nullptr) {
      Response res;
      if (m.method_not_allowed) {
        res = error_response(req, 405, "method_not_allowed",
                             "method " + std::string(req.method_string()) + " not allowed");
        std::string allow;
        for (const auto& a : m.allowed) allow += (allow.empty() ? "" : ", ") + a;
        res.set(bhttp::field::allow, allow);
      } else if (m.upgrade_required) {
        res = error_response(req, 426, "upgrade_required", "this endpoint is a WebSocket");
        res.set(bhttp::field::upgrade, "websocket");
        res.set(bhttp::field::connection, "Upgrade");
      } else {
        res = error_response(req, Error::not_found("route"));
      }
      co_return co_await reply(req, std::move(res), route, start);
    }

    std::optional<Response> res;
    try {
      res.emplace(co_await (*m.handler)(ctx));
    } catch (...) {
      srv_.metrics.inc("bottega_http_handler_exceptions_total");
      log_exception(std::string(req.method_string()) + " " + route + " threw",
                    std::current_exception());
    }
    if (!res) res = error_response(req, Error::internal("internal error"));
    co_return co_await reply(req, std::move(*res), route, start);
  }

  asio::awaitable<Outcome> serve_websocket(Context& ctx, const Router::Match& m,
                                           Clock::time_point start) {
    Request& req = ctx.req;
    std::optional<Response> refusal;
    if (srv_.stopping) {
      refusal = error_response(req, Error{Errc::unavailable, "unavailable", "shutting down", {}});
    } else if (m.ws_authorize != nullptr && *m.ws_authorize) {
      bool threw = false;
      try {
        refusal = co_await (*m.ws_authorize)(ctx);
      } catch (...) {
        threw = true;
        srv_.metrics.inc("bottega_http_handler_exceptions_total");
        log_exception("WS authorizer " + ctx.route + " threw", std::current_exception());
      }
      if (threw) refusal = error_response(req, Error::internal("internal error"));
    }
    if (refusal && refusal->result_int() != 101) {
      co_return co_await reply(req, std::move(*refusal), ctx.route, start);
    }

    s_->stream.expires_never();
    s_->ws.emplace(std::move(s_->stream));
    s_->state = Session::State::websocket;
    WebSocket& ws = *s_->ws;
    ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws.set_option(websocket::stream_base::decorator(
        [server = srv_.opts.server_header](websocket::response_type& r) {
          r.set(bhttp::field::server, server);
          r.set("X-Content-Type-Options", "nosniff");
          r.set("Referrer-Policy", "no-referrer");
        }));
    ws.read_message_max(kWsMaxMessage);
    auto [ec] = co_await ws.async_accept(req, kTok);
    srv_.record(method_label(req), ctx.route, ec ? 400 : 101, start);
    if (ec) co_return Outcome::closed;
    try {
      co_await (*m.ws)(ctx, ws);
    } catch (...) {
      srv_.metrics.inc("bottega_http_handler_exceptions_total");
      log_exception("WS handler " + ctx.route + " threw", std::current_exception());
    }
    beast::get_lowest_layer(ws).close();
    co_return Outcome::upgraded;
  }

  std::shared_ptr<Session> s_;
  ServerState& srv_;
};

asio::awaitable<void> run_session(std::shared_ptr<Session> s) {
  Connection c(std::move(s));
  co_await c.run();
}

}  // namespace

void ServerState::remove_session(Session* s) {
  std::lock_guard lock(mu);
  if (sessions.erase(s) > 0) set_connections_gauge_locked();
}

// `self` keeps the state alive while accepting.
asio::awaitable<void> ServerState::accept_loop(std::shared_ptr<ServerState> self) {
  ServerState& srv = *self;
  auto& acceptor = srv.acceptor;
  auto& io = srv.io;
  auto& stopping = srv.stopping;
  auto& accept_strand = srv.accept_strand;
  auto& mu = srv.mu;
  auto& sessions = srv.sessions;
  auto& opts = srv.opts;
  auto& metrics = srv.metrics;
  for (;;) {
    auto [ec, sock] = co_await acceptor.async_accept(asio::make_strand(io), kTok);
    if (stopping || !acceptor.is_open()) co_return;
    if (ec) {
      // EMFILE and friends: back off briefly instead of spinning.
      log_line("bottega http: accept: " + ec.message());
      asio::steady_timer t(accept_strand, std::chrono::milliseconds(50));
      co_await t.async_wait(kTok);
      continue;
    }
    if (stopping) co_return;
    auto session = std::make_shared<Session>(self, std::move(sock));
    {
      std::lock_guard lock(mu);
      if (sessions.size() >= opts.max_connections) {
        metrics.inc("bottega_http_connections_refused_total");
        beast::error_code ignored;
        session->stream.socket().close(ignored);
        continue;  // ~Session does not find itself registered: nothing to undo
      }
      sessions.emplace(session.get(), session);
      srv.set_connections_gauge_locked();
    }
    auto ex = session->ex;
    asio::co_spawn(ex, run_session(std::move(session)),
                   [](std::exception_ptr e) { log_exception("connection", e); });
  }
}

void ServerState::stop() {
  if (stopping.exchange(true)) return;
  asio::post(accept_strand, [self = shared_from_this()] {
    beast::error_code ec;
    self->acceptor.close(ec);
  });
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(mu);
    for (auto& [p, w] : sessions) {
      if (auto s = w.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& s : live) {
    auto ex = s->ex;
    asio::post(ex, [s = std::move(s)] { s->on_stop(); });
  }
}

struct Server::Impl {
  std::shared_ptr<ServerState> st;
};

Server::Server(asio::io_context& io, ServerOptions opts, const Router& router, Metrics& metrics)
    : impl_(std::make_unique<Impl>()) {
  impl_->st = std::make_shared<ServerState>(io, std::move(opts), router, metrics);
  metrics.describe("bottega_http_requests_total", "counter",
                   "HTTP requests by method, route, status");
  metrics.describe("bottega_http_request_duration_seconds", "histogram",
                   "HTTP request latency by route");
  metrics.describe("bottega_http_connections", "gauge", "Open HTTP and WebSocket connections");
  metrics.describe("bottega_http_connections_refused_total", "counter",
                   "Connections closed at once because max_connections was reached");
  metrics.describe("bottega_http_handler_exceptions_total", "counter",
                   "Exceptions escaping HTTP and WebSocket handlers (answered with 500)");
  metrics.set("bottega_http_connections", {}, 0);
}

Server::~Server() { impl_->st->stop(); }

size_t Server::connection_count() const {
  std::lock_guard lock(impl_->st->mu);
  return impl_->st->sessions.size();
}

Result<uint16_t> Server::start() {
  ServerState& st = *impl_->st;
  const std::string& listen = st.opts.listen;
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return Error::invalid("server.listen", "listen must be host:port, got \"" + listen + "\"");
  }
  std::string host = listen.substr(0, colon);
  const std::string port_text = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  auto [end, perr] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (perr != std::errc{} || end != port_text.data() + port_text.size() || port > 65535 ||
      port_text.empty()) {
    return Error::invalid("server.listen", "invalid port in \"" + listen + "\"");
  }

  beast::error_code ec;
  tcp::resolver resolver(st.io);
  auto results = resolver.resolve(host.empty() ? std::string("0.0.0.0") : host, port_text,
                                  tcp::resolver::passive, ec);
  if (ec || results.empty()) {
    return Error::invalid("server.listen", "cannot resolve \"" + host + "\": " + ec.message());
  }
  std::string last_error;
  for (const auto& entry : results) {
    auto& acc = st.acceptor;
    ec = {};
    if (acc.is_open()) acc.close(ec);
    acc.open(entry.endpoint().protocol(), ec);
    if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acc.bind(entry.endpoint(), ec);
    if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) {
      const uint16_t bound = acc.local_endpoint(ec).port();
      if (ec) break;
      asio::co_spawn(st.accept_strand, ServerState::accept_loop(impl_->st),
                     [](std::exception_ptr e) { log_exception("accept loop", e); });
      return bound;
    }
    last_error = ec.message();
  }
  beast::error_code ignored;
  st.acceptor.close(ignored);
  return Error{
      Errc::unavailable, "listen_failed",
      "cannot listen on " + listen + ": " + (last_error.empty() ? ec.message() : last_error),
      "server.listen"};
}

void Server::stop() { impl_->st->stop(); }

}  // namespace bottega::http
