#include "http/smtp_server.hpp"
#include "http/exception_text.hpp"

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace bottega::http {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kTok = asio::as_tuple(asio::use_awaitable);

// Resumes the coroutine once cb(value) is called from any thread.
template <class R, class Start>
asio::awaitable<R> bridge(Start start) {
  return asio::async_initiate<decltype(asio::use_awaitable), void(R)>(
      [start = std::make_shared<Start>(std::move(start))](auto handler) {
        auto ex = asio::get_associated_executor(handler);
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        (*start)([h, ex](R r) mutable { asio::post(ex, [h, r]() mutable { (*h)(r); }); });
      },
      asio::use_awaitable);
}

void log_line(const std::string& s) { std::fprintf(stderr, "bottega smtp: %s\n", s.c_str()); }

struct Conn {
  explicit Conn(tcp::socket s) : socket(std::move(s)), timer(socket.get_executor()) {}
  tcp::socket socket;
  asio::steady_timer timer;
  Clock::time_point deadline = Clock::now();
  bool closed = false;
  void close() {
    closed = true;
    boost::system::error_code ec;
    socket.close(ec);
    timer.cancel();
  }
};

}  // namespace

struct SmtpServer::State : std::enable_shared_from_this<SmtpServer::State> {
  State(asio::io_context& io_, SmtpServerOptions o, MailSink& s, Metrics& m)
      : io(io_), opts(std::move(o)), sink(s), metrics(m), strand(asio::make_strand(io_)), acceptor(strand) {}
  asio::io_context& io;
  const SmtpServerOptions opts;
  MailSink& sink;
  Metrics& metrics;
  asio::strand<asio::io_context::executor_type> strand;
  tcp::acceptor acceptor;
  std::atomic<bool> stopping{false};
  std::mutex mu;
  std::map<Conn*, std::weak_ptr<Conn>> conns;

  static asio::awaitable<void> watchdog(std::shared_ptr<Conn> c) {
    while (!c->closed) {
      c->timer.expires_at(c->deadline);
      co_await c->timer.async_wait(kTok);
      if (c->closed) co_return;
      if (Clock::now() >= c->deadline) {
        c->close();
        co_return;
      }
    }
  }

  static asio::awaitable<bool> send(Conn& c, std::string text) {
    if (text.empty()) co_return true;
    auto [ec, n] = co_await asio::async_write(c.socket, asio::buffer(text), kTok);
    co_return !ec;
  }

  static asio::awaitable<void> session(std::shared_ptr<State> self, std::shared_ptr<Conn> c) {
    struct Unregister {
      State& st;
      Conn* c;
      ~Unregister() {
        std::lock_guard lock(st.mu);
        st.conns.erase(c);
        st.metrics.set("bottega_smtp_connections", {}, static_cast<double>(st.conns.size()));
      }
    } unregister{*self, c.get()};
    const auto idle = std::chrono::seconds(self->opts.idle_timeout_s);
    c->deadline = Clock::now() + idle;
    asio::co_spawn(c->socket.get_executor(), watchdog(c), asio::detached);

    SmtpSession s(self->opts.session);
    if (!co_await send(*c, s.greeting().reply)) co_return;

    std::string buf;
    bool skipping = false;  // inside an over-long line: drop bytes until its end
    char chunk[4096];
    for (;;) {
      size_t nl = buf.find('\n');
      if (nl == std::string::npos) {
        if (buf.size() > self->opts.max_line_bytes) {
          buf.clear();
          skipping = true;
        }
        c->deadline = Clock::now() + idle;
        auto [ec, n] = co_await c->socket.async_read_some(asio::buffer(chunk), kTok);
        if (ec || c->closed) break;
        buf.append(chunk, n);
        continue;
      }
      std::string line = buf.substr(0, nl);
      buf.erase(0, nl + 1);
      SmtpSession::Step step;
      if (skipping) {
        skipping = false;
        step = s.on_line_too_long();
      } else if (line.size() > self->opts.max_line_bytes) {
        step = s.on_line_too_long();
      } else {
        step = s.on_line(line);
      }
      // Actions may chain (a recipient check answers, a delivery answers).
      if (step.action == SmtpSession::Action::check_recipient) {
        MailSink* sink = &self->sink;
        std::string rcpt = s.recipient();
        auto start = [sink, rcpt](auto cb) { sink->check_recipient(rcpt, [cb](bool ok) mutable { cb(ok); }); };
        bool ok = co_await bridge<bool>(start);
        step = s.recipient_checked(ok);
      } else if (step.action == SmtpSession::Action::deliver) {
        MailSink* sink = &self->sink;
        std::string from = s.mail_from(), message = s.message();
        std::vector<std::string> rcpts = s.recipients();
        auto start = [sink, from, rcpts, message](auto cb) {
          sink->deliver(from, rcpts, message, [cb](DeliveryResult r) mutable { cb(r); });
        };
        c->deadline = Clock::now() + idle + std::chrono::seconds(60);  // the commit may take a while
        DeliveryResult r = co_await bridge<DeliveryResult>(start);
        self->metrics.inc("bottega_smtp_messages_total",
                          r == DeliveryResult::committed  ? "outcome=\"accepted\""
                          : r == DeliveryResult::deferred ? "outcome=\"deferred\""
                                                          : "outcome=\"rejected\"");
        step = s.delivered(r);
      }
      if (!co_await send(*c, step.reply)) break;
      if (step.action == SmtpSession::Action::close) break;
    }
    c->close();
  }

  static asio::awaitable<void> accept_loop(std::shared_ptr<State> self) {
    for (;;) {
      auto [ec, sock] = co_await self->acceptor.async_accept(asio::make_strand(self->io), kTok);
      if (self->stopping || !self->acceptor.is_open()) co_return;
      if (ec) {
        log_line("accept: " + ec.message());
        asio::steady_timer t(self->strand, std::chrono::milliseconds(50));
        co_await t.async_wait(kTok);
        continue;
      }
      auto c = std::make_shared<Conn>(std::move(sock));
      {
        std::lock_guard lock(self->mu);
        if (self->conns.size() >= self->opts.max_connections) {
          self->metrics.inc("bottega_smtp_connections_refused_total");
          c->close();
          continue;
        }
        self->conns.emplace(c.get(), c);
        self->metrics.set("bottega_smtp_connections", {}, static_cast<double>(self->conns.size()));
      }
      asio::co_spawn(c->socket.get_executor(), session(self, c), [](std::exception_ptr e) {
        if (e) log_line("session: " + exception_text(e));
      });
    }
  }
};

SmtpServer::SmtpServer(asio::io_context& io, SmtpServerOptions opts, MailSink& sink, Metrics& metrics)
    : st_(std::make_shared<State>(io, std::move(opts), sink, metrics)) {
  metrics.describe("bottega_smtp_messages_total", "counter",
                   "Messages received by the SMTP/LMTP listener: accepted (committed), deferred (451) or rejected (554)");
  metrics.describe("bottega_smtp_connections", "gauge", "Open SMTP/LMTP connections");
}

SmtpServer::~SmtpServer() { stop(); }

Result<uint16_t> SmtpServer::start() {
  const std::string& listen = st_->opts.listen;
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return Error::invalid("email.listen", "expected host:port");
  std::string host = listen.substr(0, colon), port = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  tcp::resolver resolver(st_->io);
  auto results = resolver.resolve(host.empty() ? std::string("0.0.0.0") : host, port, tcp::resolver::passive, ec);
  if (ec || results.empty()) return Error::invalid("email.listen", "cannot resolve \"" + host + "\": " + ec.message());
  std::string last;
  for (const auto& entry : results) {
    auto& acc = st_->acceptor;
    ec = {};
    if (acc.is_open()) acc.close(ec);
    acc.open(entry.endpoint().protocol(), ec);
    if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acc.bind(entry.endpoint(), ec);
    if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) {
      uint16_t bound = acc.local_endpoint(ec).port();
      if (ec) break;
      asio::co_spawn(st_->strand, State::accept_loop(st_), asio::detached);
      return bound;
    }
    last = ec.message();
  }
  boost::system::error_code ignored;
  st_->acceptor.close(ignored);
  return Error{Errc::unavailable, "listen_failed", "cannot listen on " + listen + ": " + last, "email.listen"};
}

void SmtpServer::stop() {
  if (st_->stopping.exchange(true)) return;
  asio::post(st_->strand, [self = st_] {
    boost::system::error_code ec;
    self->acceptor.close(ec);
  });
  std::vector<std::shared_ptr<Conn>> live;
  {
    std::lock_guard lock(st_->mu);
    for (auto& [p, w] : st_->conns)
      if (auto c = w.lock()) live.push_back(std::move(c));
  }
  for (auto& c : live) {
    auto ex = c->socket.get_executor();
    asio::post(ex, [c] { c->close(); });
  }
}

}  // namespace bottega::http
