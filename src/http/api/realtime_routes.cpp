// WebSocket endpoints: agents' inbox events and a visitor's own conversation. Each connection
// subscribes to the hub first, then replays committed events after the client's cursor from the
// outbox, then streams live ones, so a reconnecting client misses nothing. Each connection has a
// bounded queue; a client that falls behind is closed (1008 slow_consumer), never waited for.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <unordered_map>

#include "core/crypto.hpp"
#include "http/api/common.hpp"
#include "pipeline/dispatcher.hpp"
#include "realtime/hub.hpp"
#include "store/repo/repo.hpp"

namespace bottega::http::api {

namespace websocket = beast::websocket;
using asio::as_tuple;
using asio::use_awaitable;

namespace {

class WsSession final : public realtime::Subscriber, public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(asio::any_io_executor ex, size_t limit) : ex_(ex), signal_(ex), limit_(limit) {}

  void deliver(std::shared_ptr<const Event> e) override {
    {
      std::lock_guard lk(mu_);
      if (e->type == event_type::kSessionRevoked) {
        revoked_ = true;
      } else if (overflow_) {
        return;
      } else if (q_.size() >= limit_) {
        overflow_ = true;
        q_.clear();
      } else {
        q_.push_back(std::move(e));
      }
    }
    asio::post(ex_, [self = shared_from_this()] { self->signal_.cancel(); });
  }

  // On the connection's executor only.
  bool take(std::deque<std::shared_ptr<const Event>>& out, bool& overflow, bool& revoked) {
    std::lock_guard lk(mu_);
    overflow = overflow_;
    revoked = revoked_;
    out.swap(q_);
    return !out.empty();
  }
  bool idle() {
    std::lock_guard lk(mu_);
    return q_.empty() && !overflow_ && !revoked_;
  }
  asio::steady_timer& signal() { return signal_; }
  bool reader_done = false;

 private:
  asio::any_io_executor ex_;
  asio::steady_timer signal_;
  size_t limit_;
  std::mutex mu_;
  std::deque<std::shared_ptr<const Event>> q_;
  bool overflow_ = false;
  bool revoked_ = false;
};

std::string frame(const Event& e) {
  // payload_json is {"id",...}: prepend the cursor position.
  std::string f = "{\"seq\":" + std::to_string(e.seq) + ",";
  f.append(e.payload_json, 1, std::string::npos);
  return f;
}

struct Who {
  std::string tenant_id;
  std::string contact_id;  // visitors only
  std::string channel_id;  // visitors only: they see their contact's conversations on this channel
  bool visitor = false;
  std::string agent_id, session_hash;  // agents on a cookie session
};

asio::awaitable<Result<Who>> identify_agent(Deps& d, Context& ctx) {
  if (auto c = cursor_param(ctx, 1); !c) co_return c.error();
  std::string_view origin = ctx.header("Origin");
  bool cookie = ctx.header("Authorization").empty();
  if (cookie && origin != d.opts.public_url)
    co_return Error::forbidden("bad_origin", "WebSocket Origin must be " + d.opts.public_url);
  auto p = co_await authenticate(d, ctx);
  if (!p) co_return p.error();
  co_return Who{p->tenant_id, {}, {}, false, p->agent_id, p->session_hash};
}

asio::awaitable<Result<Who>> identify_visitor(Deps& d, Context& ctx) {
  if (auto c = cursor_param(ctx, 1); !c) co_return c.error();
  auto token = ctx.query_param("visitor_token");
  if (!token || token->empty()) co_return Error::unauthenticated("visitor_token required");
  std::string hash = crypto::hex(crypto::sha256(*token)), channel = ctx.param("channel_id");
  auto work11_ = [hash, channel](store::Tx& tx) -> Result<Who> {
    auto v = repo::find_visitor(tx, hash);
    if (!v || v->channel_id != channel) return Error::unauthenticated("unknown visitor token");
    return Who{v->tenant_id, v->contact_id, v->channel_id, true, {}, {}};
  };
  co_return co_await db_read<Who>(d.store, work11_);
}

asio::awaitable<void> stream(Deps& d, Context& ctx, WebSocket& ws, Who who) {
  ws.text(true);
  auto ex = co_await asio::this_coro::executor;
  auto session = std::make_shared<WsSession>(ex, d.opts.ws_queue_limit);
  uint64_t sub = d.hub.subscribe({who.tenant_id, who.contact_id, who.visitor, who.agent_id, who.session_hash}, session);
  d.metrics.inc("bottega_ws_connections_total", who.visitor ? "kind=\"visitor\"" : "kind=\"agent\"");

  // Reader: consumes client frames (and control frames) until the connection ends.
  asio::co_spawn(ex, [&ws, session]() -> asio::awaitable<void> {
    beast::flat_buffer buf;
    for (;;) {
      auto [ec, n] = co_await ws.async_read(buf, as_tuple(use_awaitable));
      if (ec) break;
      buf.consume(n);
    }
    session->reader_done = true;
    session->signal().cancel();
  }, asio::detached);

  bool ok = true;
  auto send = [&](const std::string& text) -> asio::awaitable<bool> {
    auto [ec, n] = co_await ws.async_write(asio::buffer(text), as_tuple(use_awaitable));
    co_return !ec;
  };
  // A visitor sees its contact's conversations on its own channel only (a verified email merge
  // gives the contact conversations on other channels). Looked up once per conversation.
  std::unordered_map<std::string, bool> on_channel;
  auto visitor_sees = [&](const Event& e) -> asio::awaitable<bool> {
    if (!who.visitor) co_return true;
    if (e.conversation_id.empty()) co_return false;
    if (auto it = on_channel.find(e.conversation_id); it != on_channel.end()) co_return it->second;
    std::string tenant = who.tenant_id, conv = e.conversation_id;
    auto work = [tenant, conv](store::Tx& tx) -> Result<std::string> {
      auto c = repo::get_conversation(tx, tenant, conv);
      return c ? c->channel_id : std::string();
    };
    auto ch = co_await db_read<std::string>(d.store, work);
    if (!ch) co_return false;  // unreadable now: not shown (the message list has it)
    co_return on_channel[e.conversation_id] = *ch == who.channel_id;
  };

  // Replay from the cursor, or start live from the dispatcher's position.
  int64_t last = d.dispatcher.cursor();
  if (auto c = ctx.query_param("cursor")) {
    last = std::stoll(*c);  // validated by the authorizer
    for (;;) {
      Who w = who;
      int64_t after = last;
      auto work12_ = [w, after](store::Tx& tx) -> Result<std::vector<Event>> {
        if (w.visitor) return repo::contact_events_after(tx, w.tenant_id, w.contact_id, after, 500);
        return repo::tenant_events_after(tx, w.tenant_id, after, 500);
      };
      auto page = co_await db_read<std::vector<Event>>(d.store, work12_);
      if (!page || page->empty()) break;
      for (const auto& e : *page) {
        last = e.seq;
        if (who.visitor && !realtime::visible_to_visitor(e)) continue;
        if (e.type == event_type::kSessionRevoked) continue;
        if (auto to = realtime::addressed_agent(e); !to.empty() && to != who.agent_id) continue;
        if (!co_await visitor_sees(e)) continue;
        if (!(ok = co_await send(frame(e)))) break;
      }
      if (!ok || page->size() < 500) break;
    }
  }
  if (ok) ok = co_await send("{\"type\":\"ready\",\"cursor\":" + std::to_string(last) + "}");

  std::deque<std::shared_ptr<const Event>> batch;
  while (ok && !session->reader_done) {
    bool overflow = false, revoked = false;
    bool got = session->take(batch, overflow, revoked);
    if (revoked) {  // logout or password change: this socket's session is gone
      co_await ws.async_close(websocket::close_reason(websocket::close_code::policy_error, "session_revoked"),
                              as_tuple(use_awaitable));
      break;
    }
    if (got) {
      bool merged = false;
      for (const auto& e : batch) {
        if (e->seq <= last) continue;  // already replayed
        last = e->seq;
        if (who.visitor && realtime::ends_visitor_stream(*e)) {
          merged = true;
          break;
        }
        if (!co_await visitor_sees(*e)) continue;
        if (!(ok = co_await send(frame(*e)))) break;
      }
      if (merged) {  // the widget reconnects and follows the kept contact from `last`
        co_await ws.async_close(websocket::close_reason(websocket::close_code::normal, "contact_merged"),
                                as_tuple(use_awaitable));
        break;
      }
      batch.clear();
      continue;
    }
    if (overflow) {
      d.metrics.inc("bottega_ws_dropped_total", "reason=\"slow_consumer\"");
      co_await ws.async_close(websocket::close_reason(websocket::close_code::policy_error, "slow_consumer"),
                              as_tuple(use_awaitable));
      break;
    }
    if (!session->idle()) continue;
    session->signal().expires_after(std::chrono::seconds(d.opts.ws_ping_seconds));
    auto [ec] = co_await session->signal().async_wait(as_tuple(use_awaitable));
    if (!ec && !session->reader_done) {  // quiet period: heartbeat
      auto [pec] = co_await ws.async_ping({}, as_tuple(use_awaitable));
      if (pec) ok = false;
    }
  }
  d.hub.unsubscribe(sub);
  // Wait for the reader to finish before the stream goes away.
  if (!session->reader_done) {
    beast::get_lowest_layer(ws).socket().close();
    while (!session->reader_done) {
      session->signal().expires_after(std::chrono::seconds(5));
      co_await session->signal().async_wait(as_tuple(use_awaitable));
    }
  }
}

}  // namespace

void register_realtime_routes(Router& r, Deps& d) {
  r.add_ws("/api/v1/realtime",
           [&d](Context& ctx) -> asio::awaitable<std::optional<Response>> {
             auto who = co_await identify_agent(d, ctx);
             if (!who) co_return error(ctx, who.error());
             ctx.local = *who;  // the handler streams for whoever was authorized here
             co_return std::nullopt;
           },
           [&d](Context& ctx, WebSocket& ws) -> asio::awaitable<void> {
             co_await stream(d, ctx, ws, std::any_cast<Who>(ctx.local));
           },
           {"Agents' realtime events: ?cursor=<seq> replays what was missed, then live events "
            "{\"seq\",\"type\",\"data\"}; {\"type\":\"ready\",\"cursor\"} marks the switch",
            Auth::agent, "realtime", "", ""});

  r.add_ws("/api/v1/webchat/{channel_id}/realtime",
           [&d](Context& ctx) -> asio::awaitable<std::optional<Response>> {
             auto who = co_await identify_visitor(d, ctx);
             if (!who) co_return error(ctx, who.error());
             ctx.local = *who;  // the handler streams for whoever was authorized here
             co_return std::nullopt;
           },
           [&d](Context& ctx, WebSocket& ws) -> asio::awaitable<void> {
             co_await stream(d, ctx, ws, std::any_cast<Who>(ctx.local));
           },
           {"A visitor's realtime messages: ?visitor_token=..&cursor=<seq>", Auth::none, "webchat", "", ""});
}

}  // namespace bottega::http::api
