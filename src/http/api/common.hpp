// Shared plumbing for the API handlers: their dependencies, the bridge from the Store's callbacks
// into coroutines, authentication, idempotent creation, and list rendering.
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>
#include <memory>
#include <optional>
#include <string>

#include "bottega/clock.hpp"
#include "bottega/store.hpp"
#include "core/metrics.hpp"
#include "core/model.hpp"
#include "http/api/rate_limit.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "pipeline/services.hpp"

namespace bottega::realtime {
class Hub;
}
namespace bottega::payments {
class Engine;
}
namespace bottega::pipeline {
class Dispatcher;
class WebhookService;
namespace media {
struct StoredMedia;
}
}  // namespace bottega::pipeline

namespace bottega::http::api {

struct ApiOptions {
  std::string public_url = "http://127.0.0.1:8080";
  std::string web_root;  // built front end (index.html, chat.html, widget.js, assets/)
  int visitor_messages_per_minute = 30;
  int ip_messages_per_minute = 120;
  int ip_visitors_per_hour = 60;
  std::vector<std::string> allowed_origins;  // extra origins for browser calls (widget hosts)
  int64_t session_ttl_ms = 7LL * 24 * 3600 * 1000;
  size_t ws_queue_limit = 1024;  // events buffered per WebSocket before it is dropped
  int ws_ping_seconds = 20;
  size_t upload_max_bytes = 16u << 20;  // POST /api/v1/media (413 media_too_large past it)
  std::string media_url_key;            // signs public media URLs (GET /media/...); see app.cpp
};

struct Deps {
  store::Store& store;
  const Clock& clock;
  IdGenerator& ids;
  Metrics& metrics;
  realtime::Hub& hub;
  pipeline::Dispatcher& dispatcher;
  pipeline::WebhookService& webhooks;
  asio::thread_pool& cpu;  // CPU-heavy work (password hashing), never on I/O threads
  RateLimiter& limiter;
  ApiOptions opts;
  std::function<bool()> ready;  // readiness probe
  std::function<void()> wake_jobs;  // the job runner picks up new jobs at once
  payments::Engine* payments = nullptr;  // PSP calls and webhooks (payment_routes.cpp)

  pipeline::Env env();
};

// ---- bridging callbacks into coroutines -----------------------------------------------------

// Starts `start(cb)`; resumes the coroutine on its own executor once cb(value) is called (from
// any thread).
template <class R, class Start>
asio::awaitable<R> bridge(Start start) {
  return asio::async_initiate<decltype(asio::use_awaitable), void(R)>(
      [start = std::make_shared<Start>(std::move(start))](auto handler) {
        auto ex = asio::get_associated_executor(handler);
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        (*start)([h, ex](R r) mutable {
          asio::post(ex, [h, r = std::move(r)]() mutable { (*h)(std::move(r)); });
        });
      },
      asio::use_awaitable);
}

// Runs fn(Tx&) -> Result<T> in a read transaction off the I/O threads. fn is moved to the heap
// at once, so nothing the call site passes lives in the coroutine's temporaries.
// Call sites pass a named lambda (GCC 12 corrupts lambda temporaries that live across a co_await).
// `durable` false: Store::read_undurable (authentication only, store.hpp says why).
template <class T, class Fn>
asio::awaitable<Result<T>> db_read(store::Store& s, Fn&& fn, bool durable = true) {
  auto f = std::make_shared<std::decay_t<Fn>>(std::forward<Fn>(fn));
  store::Store* sp = &s;
  return bridge<Result<T>>([sp, f, durable](auto cb) {
    auto run = [f, cb](store::Tx& tx) mutable {
      try {
        cb((*f)(tx));
      } catch (const store::DbError& e) {
        cb(Result<T>(Error{Errc::unavailable, "store_error", e.message, {}}));
      }
    };
    if (durable) sp->read(std::move(run));
    else sp->read_undurable(std::move(run));
  });
}

// Runs fn(Tx&) -> Result<T> in a group-committed write; resumes after the commit is durable.
template <class T, class Fn>
asio::awaitable<Result<T>> db_write(store::Store& s, Fn&& fn) {
  auto f = std::make_shared<std::decay_t<Fn>>(std::forward<Fn>(fn));
  store::Store* sp = &s;
  return bridge<Result<T>>([sp, f](auto cb) {
    auto out = std::make_shared<std::optional<T>>();
    sp->write(
        [f, out](store::Tx& tx) -> Status {
          Result<T> r = (*f)(tx);
          if (!r.ok()) return std::move(r).error();
          out->emplace(std::move(r).value());
          return {};
        },
        [out, cb](Status st) mutable {
          if (!st.ok()) return cb(Result<T>(std::move(st).error()));
          cb(Result<T>(std::move(**out)));
        });
  });
}

// Runs fn() -> T on the CPU pool.
template <class T, class Fn>
asio::awaitable<T> on_cpu(asio::thread_pool& pool, Fn&& fn) {
  auto f = std::make_shared<std::decay_t<Fn>>(std::forward<Fn>(fn));
  asio::thread_pool* pp = &pool;
  return bridge<T>([pp, f](auto cb) { asio::post(*pp, [f, cb]() mutable { cb((*f)()); }); });
}

// ---- authentication -----------------------------------------------------------------------

// 403 "forbidden" unless the caller is an admin (a session of an admin agent, or an API token).
Status require_admin(const Principal& p);

// Bearer token or session cookie; cookie sessions must send X-CSRF-Token on unsafe methods.
asio::awaitable<Result<Principal>> authenticate(Deps& d, Context& ctx);
std::string cookie_value(std::string_view cookie_header, std::string_view name);
// authenticate() as a route's body_authorize (RouteDoc): refuses with the contract's error (401
// without a valid token or session, 403 csrf_failed) before the server reads a large body.
Authorizer agent_body_authorizer(Deps& d);

// ---- responses ----------------------------------------------------------------------------

Response json(Context& ctx, int status, const boost::json::value& v);
Response error(Context& ctx, const Error& e);
Response list(Context& ctx, boost::json::array data, const std::optional<std::string>& next_cursor);
// Parses the body as a JSON object (strict limits), or an error response.
Result<boost::json::object> body_object(Context& ctx);
// ?cursor=: absent, or `parts` dot-separated decimal numbers (as the server hands them out);
// anything else is 400 with field "cursor".
Result<std::optional<std::string>> cursor_param(Context& ctx, int parts);
// ?limit= (1..200, default 50)
Result<int64_t> limit_param(Context& ctx);
// A list route's ?limit= then ?cursor= (`cursor_parts` numbers), the errors of limit_param and
// cursor_param in that order.
struct PageParams {
  int64_t limit = 50;
  std::optional<std::string> cursor;
};
Result<PageParams> page_params(Context& ctx, int cursor_parts);

// A response computed inside a write transaction (for idempotent replay).
struct Rendered {
  int status = 200;
  std::string body;
};
// Runs `work` in one write transaction honouring Idempotency-Key within `scope` (a tenant id, or
// a visitor scope): a replay of the same key and body returns the stored response; the same key
// with another body answers 422 idempotency_key_reused. The key is stored in the same
// transaction as the work, so a crash cannot separate them.
using WriteWork = std::function<Result<Rendered>(store::Tx&)>;
asio::awaitable<Response> idempotent_write_impl(Deps& d, Context& ctx, std::shared_ptr<const std::string> scope,
                                                std::shared_ptr<WriteWork> work);
template <class Fn>
asio::awaitable<Response> idempotent_write(Deps& d, Context& ctx, const std::string& scope, Fn& work) {
  return idempotent_write_impl(d, ctx, std::make_shared<const std::string>(scope), std::make_shared<WriteWork>(work));
}

// Web chat "continue on another channel" settings: each returns the link to offer visitors
// ("https://wa.me/31612345678", "https://m.me/shop.page", "mailto:help@shop.example"), or nothing
// when the value is not acceptable.
std::optional<std::string> webchat_continue_whatsapp(std::string_view number);
std::optional<std::string> webchat_continue_messenger(std::string_view username);
std::optional<std::string> webchat_continue_email(std::string_view address);

// OpenAPI schema of an Agent (auth and team routes).
inline constexpr const char* kAgentSchema =
    R"({"type":"object","properties":{"id":{"type":"string"},"tenant_id":{"type":"string"},"email":{"type":"string"},"name":{"type":"string"},"role":{"type":"string","enum":["admin","agent"]}}})";

// A stored media file as a response: its type (active types as application/octet-stream
// attachments), nosniff, a sandboxing CSP and Content-Disposition with its name (media_routes.cpp).
Response media_file_response(Context& ctx, pipeline::media::StoredMedia&& m);

// Registers every route. Each registration carries its OpenAPI documentation.
void register_routes(Router& r, Deps& d);
void register_system_routes(Router& r, Deps& d);
void register_auth_routes(Router& r, Deps& d);
void register_agent_routes(Router& r, Deps& d);     // agent_routes.cpp
void register_conversation_routes(Router& r, Deps& d);
void register_channel_routes(Router& r, Deps& d);
void register_webchat_routes(Router& r, Deps& d);
void register_realtime_routes(Router& r, Deps& d);
void register_provider_webhook_routes(Router& r, Deps& d);
void register_commerce_routes(Router& r, Deps& d);   // commerce_routes.cpp
void register_payment_routes(Router& r, Deps& d);    // payment_routes.cpp
void register_bot_routes(Router& r, Deps& d);        // bot_routes.cpp
void register_report_routes(Router& r, Deps& d);     // report_routes.cpp
void register_media_routes(Router& r, Deps& d);      // media_routes.cpp
// GET /api/v1/openapi.json, built from the router's entries.
std::string openapi_document(const Router& r, const std::string& public_url);

}  // namespace bottega::http::api
