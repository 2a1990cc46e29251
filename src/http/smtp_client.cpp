#include "http/smtp_client.hpp"
#include "http/exception_text.hpp"

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <optional>

#include "core/crypto.hpp"
#include "http/client.hpp"

namespace bottega::http {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kTok = asio::as_tuple(asio::use_awaitable);
constexpr size_t kMaxReplyBytes = 64 << 10;

Error transient(std::string code, std::string msg) { return Error{Errc::unavailable, std::move(code), std::move(msg), {}}; }

struct Reply {
  int code = 0;
  std::vector<std::string> lines;  // text after "NNN-" / "NNN "
  std::string text() const {
    std::string t = std::to_string(code);
    for (const auto& l : lines) t += " " + l;
    return t;
  }
};

struct Conv {
  Conv(const asio::any_io_executor& ex, ssl::context& tls) : resolver(ex), timer(ex), stream(tcp::socket(ex), tls) {}
  tcp::resolver resolver;
  asio::steady_timer timer;
  ssl::stream<tcp::socket> stream;
  bool tls = false;
  bool timed_out = false;
  std::string buf;
};

asio::awaitable<bool> write_all(Conv& c, std::string data) {
  if (c.tls) {
    auto [ec, n] = co_await asio::async_write(c.stream, asio::buffer(data), kTok);
    co_return !ec;
  }
  auto [ec, n] = co_await asio::async_write(c.stream.next_layer(), asio::buffer(data), kTok);
  co_return !ec;
}

// Reads one (possibly multi-line) reply; nullopt on a network error or garbage.
asio::awaitable<std::optional<Reply>> read_reply(Conv& c) {
  Reply r;
  char chunk[2048];
  for (;;) {
    size_t nl = c.buf.find('\n');
    if (nl == std::string::npos) {
      if (c.buf.size() > kMaxReplyBytes) co_return std::nullopt;
      boost::system::error_code ec;
      size_t n = 0;
      if (c.tls) {
        auto [e, k] = co_await c.stream.async_read_some(asio::buffer(chunk), kTok);
        ec = e;
        n = k;
      } else {
        auto [e, k] = co_await c.stream.next_layer().async_read_some(asio::buffer(chunk), kTok);
        ec = e;
        n = k;
      }
      if (ec) co_return std::nullopt;
      c.buf.append(chunk, n);
      continue;
    }
    std::string line = c.buf.substr(0, nl);
    c.buf.erase(0, nl + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.size() < 3 || !std::isdigit(static_cast<unsigned char>(line[0])) ||
        !std::isdigit(static_cast<unsigned char>(line[1])) || !std::isdigit(static_cast<unsigned char>(line[2])))
      co_return std::nullopt;
    int code = std::stoi(line.substr(0, 3));
    if (r.code != 0 && code != r.code) co_return std::nullopt;
    r.code = code;
    r.lines.push_back(line.size() > 4 ? line.substr(4) : std::string());
    if (r.lines.size() > 100) co_return std::nullopt;
    if (line.size() == 3 || line[3] == ' ') co_return r;
  }
}

Error from_reply(const std::string& step, const Reply& r) {
  std::string msg = "the relay answered " + step + " with " + r.text();
  if (r.code >= 500) return Error{Errc::unprocessable, "smtp_rejected", msg, {}};
  return transient("smtp_deferred", msg);
}

bool has_capability(const Reply& ehlo, std::string_view cap, std::string* rest = nullptr) {
  for (size_t i = 1; i < ehlo.lines.size(); ++i) {
    std::string up;
    for (char ch : ehlo.lines[i]) up += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (up == cap || up.rfind(std::string(cap) + " ", 0) == 0) {
      if (rest) *rest = up.size() > cap.size() ? up.substr(cap.size() + 1) : std::string();
      return true;
    }
  }
  return false;
}

bool valid_envelope_address(std::string_view a) {
  if (a.size() > 254) return false;
  for (char c : a)
    if (static_cast<unsigned char>(c) <= 0x20 || c == '<' || c == '>' || c == 0x7f) return false;
  return true;
}

}  // namespace

std::string smtp_dot_stuff(std::string_view data) {
  std::string out;
  out.reserve(data.size() + 64);
  bool line_start = true;
  for (size_t i = 0; i < data.size(); ++i) {
    char c = data[i];
    if (c == '\r' && i + 1 < data.size() && data[i + 1] == '\n') continue;  // CRLF -> handled at LF
    if (c == '\n') {
      out += "\r\n";
      line_start = true;
      continue;
    }
    if (line_start && c == '.') out += '.';
    out += c;
    line_start = false;
  }
  if (!line_start) out += "\r\n";
  out += ".\r\n";
  return out;
}

struct SmtpMailClient::Shared {
  Shared(asio::io_context& io_, SmtpClientOptions o) : io(io_), opts(std::move(o)), tls(ssl::context::tls_client) {
    boost::system::error_code ec;
    tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                        ssl::context::no_compression,
                    ec);
    SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
    tls.set_default_verify_paths(ec);
    if (!opts.extra_ca_file.empty()) {
      tls.load_verify_file(opts.extra_ca_file, ec);
      if (ec) setup_error = "cannot load " + opts.extra_ca_file + ": " + ec.message();
    }
    tls.set_verify_mode(ssl::verify_peer, ec);
  }
  asio::io_context& io;
  SmtpClientOptions opts;
  ssl::context tls;
  std::string setup_error;
};

namespace {

asio::awaitable<std::optional<Result<std::string>>> converse(std::shared_ptr<SmtpMailClient::Shared> sh,
                                                             MailRequest req) {
  if (req.host.empty()) co_return Error{Errc::unprocessable, "no_relay", "the channel has no smtp_host", {}};
  if (!valid_envelope_address(req.from) || req.to.empty())
    co_return Error::invalid("from", "bad envelope addresses");
  for (const auto& t : req.to)
    if (!valid_envelope_address(t) || t.empty()) co_return Error::invalid("to", "bad envelope recipient");
  const auto ex = co_await asio::this_coro::executor;
  auto c = std::make_shared<Conv>(ex, sh->tls);
  c->timer.expires_after(req.timeout);
  c->timer.async_wait([c](const boost::system::error_code& ec) {
    if (ec) return;
    c->timed_out = true;
    c->resolver.cancel();
    boost::system::error_code ignored;
    c->stream.next_layer().close(ignored);
  });
  struct Disarm {
    Conv& c;
    ~Disarm() {
      c.timer.cancel();
      boost::system::error_code ignored;
      c.stream.next_layer().close(ignored);
    }
  } disarm{*c};
  auto timeout = [&]() -> Result<std::string> {
    return transient("timeout", "SMTP relay " + req.host + " timed out");
  };
  auto lost = [&](const std::string& step) -> Result<std::string> {
    if (c->timed_out) return timeout();
    return transient("connection_lost", "the SMTP relay closed the connection during " + step);
  };

  auto [rec, results] = co_await c->resolver.async_resolve(req.host, std::to_string(req.port), kTok);
  if (c->timed_out) co_return timeout();
  if (rec || results.empty()) co_return transient("dns_failed", "cannot resolve " + req.host + ": " + rec.message());
  std::vector<tcp::endpoint> eps;
  for (const auto& r : results) {
    if (!sh->opts.allow_private_networks && is_blocked_address(r.endpoint().address()))
      co_return Error::forbidden("destination_blocked",
                                 req.host + " resolves to a non-public address (" + r.endpoint().address().to_string() + ")");
    eps.push_back(r.endpoint());
  }
  auto [cec, ep] = co_await asio::async_connect(c->stream.next_layer(), eps, kTok);
  if (c->timed_out) co_return timeout();
  if (cec) co_return transient("connect_failed", "cannot connect to " + req.host + ": " + cec.message());

  auto greet = co_await read_reply(*c);
  if (!greet) co_return lost("greeting");
  if (greet->code != 220) co_return from_reply("the greeting", *greet);
  if (!co_await write_all(*c, "EHLO " + req.helo_name + "\r\n")) co_return lost("EHLO");
  auto ehlo = co_await read_reply(*c);
  if (!ehlo) co_return lost("EHLO");
  if (ehlo->code != 250) co_return from_reply("EHLO", *ehlo);

  bool offered = has_capability(*ehlo, "STARTTLS");
  if (req.tls == MailRequest::Tls::required && !offered)
    co_return Error{Errc::unprocessable, "starttls_unavailable", "the relay does not offer STARTTLS and smtp_tls is required", {}};
  if (req.tls != MailRequest::Tls::none && offered) {
    if (!sh->setup_error.empty()) co_return transient("tls_failed", sh->setup_error);
    if (!co_await write_all(*c, "STARTTLS\r\n")) co_return lost("STARTTLS");
    auto r = co_await read_reply(*c);
    if (!r) co_return lost("STARTTLS");
    if (r->code != 220) co_return from_reply("STARTTLS", *r);
    c->buf.clear();  // nothing sent before TLS may be used after it
    boost::system::error_code aec;
    (void)asio::ip::make_address(req.host, aec);
    bool is_ip = !aec;
    if (!is_ip) SSL_set_tlsext_host_name(c->stream.native_handle(), req.host.c_str());
    c->stream.set_verify_mode(ssl::verify_peer);
    c->stream.set_verify_callback(ssl::host_name_verification(req.host));
    auto [hec] = co_await c->stream.async_handshake(ssl::stream_base::client, kTok);
    if (c->timed_out) co_return timeout();
    if (hec) co_return transient("tls_failed", "TLS with " + req.host + " failed: " + hec.message());
    c->tls = true;
    if (!co_await write_all(*c, "EHLO " + req.helo_name + "\r\n")) co_return lost("EHLO");
    ehlo = co_await read_reply(*c);
    if (!ehlo) co_return lost("EHLO");
    if (ehlo->code != 250) co_return from_reply("EHLO", *ehlo);
  }

  if (!req.username.empty()) {
    if (!c->tls && req.tls != MailRequest::Tls::none)
      co_return Error::forbidden("auth_without_tls", "the relay offers no STARTTLS; credentials are not sent in clear (set smtp_tls to none to allow it)");
    std::string mechs;
    if (!has_capability(*ehlo, "AUTH", &mechs))
      co_return Error{Errc::unprocessable, "auth_unavailable", "the relay offers no AUTH", {}};
    auto has_mech = [&](std::string_view m) {
      size_t p = 0;
      while ((p = mechs.find(m, p)) != std::string::npos) {
        bool start = p == 0 || mechs[p - 1] == ' ';
        bool end = p + m.size() == mechs.size() || mechs[p + m.size()] == ' ';
        if (start && end) return true;
        p += m.size();
      }
      return false;
    };
    if (has_mech("PLAIN")) {
      std::string cred = std::string(1, '\0') + req.username + std::string(1, '\0') + req.password;
      if (!co_await write_all(*c, "AUTH PLAIN " + crypto::base64(cred) + "\r\n")) co_return lost("AUTH");
      auto r = co_await read_reply(*c);
      if (!r) co_return lost("AUTH");
      if (r->code != 235) co_return from_reply("AUTH PLAIN", *r);
    } else if (has_mech("LOGIN")) {
      if (!co_await write_all(*c, "AUTH LOGIN\r\n")) co_return lost("AUTH");
      auto r = co_await read_reply(*c);
      if (!r) co_return lost("AUTH");
      if (r->code != 334) co_return from_reply("AUTH LOGIN", *r);
      if (!co_await write_all(*c, crypto::base64(req.username) + "\r\n")) co_return lost("AUTH");
      r = co_await read_reply(*c);
      if (!r) co_return lost("AUTH");
      if (r->code != 334) co_return from_reply("AUTH LOGIN", *r);
      if (!co_await write_all(*c, crypto::base64(req.password) + "\r\n")) co_return lost("AUTH");
      r = co_await read_reply(*c);
      if (!r) co_return lost("AUTH");
      if (r->code != 235) co_return from_reply("AUTH LOGIN", *r);
    } else {
      co_return Error{Errc::unprocessable, "auth_unavailable", "the relay offers neither AUTH PLAIN nor LOGIN", {}};
    }
  }

  if (!co_await write_all(*c, "MAIL FROM:<" + req.from + ">\r\n")) co_return lost("MAIL");
  auto r = co_await read_reply(*c);
  if (!r) co_return lost("MAIL");
  if (r->code != 250) co_return from_reply("MAIL FROM", *r);
  for (const auto& to : req.to) {
    if (!co_await write_all(*c, "RCPT TO:<" + to + ">\r\n")) co_return lost("RCPT");
    r = co_await read_reply(*c);
    if (!r) co_return lost("RCPT");
    if (r->code != 250 && r->code != 251) co_return from_reply("RCPT TO", *r);
  }
  if (!co_await write_all(*c, "DATA\r\n")) co_return lost("DATA");
  r = co_await read_reply(*c);
  if (!r) co_return lost("DATA");
  if (r->code != 354) co_return from_reply("DATA", *r);
  if (!co_await write_all(*c, smtp_dot_stuff(req.data))) co_return lost("DATA");
  r = co_await read_reply(*c);
  if (!r) co_return lost("the end of DATA");
  if (r->code != 250) co_return from_reply("the message", *r);
  std::string accepted = r->text();
  if (co_await write_all(*c, "QUIT\r\n")) (void)co_await read_reply(*c);  // best effort
  co_return Result<std::string>(accepted);
}

}  // namespace

SmtpMailClient::SmtpMailClient(asio::io_context& io, SmtpClientOptions opts)
    : shared_(std::make_shared<Shared>(io, std::move(opts))) {}

SmtpMailClient::~SmtpMailClient() = default;

void SmtpMailClient::send(MailRequest req, std::function<void(Result<std::string>)> done) {
  auto strand = asio::make_strand(shared_->io);
  asio::co_spawn(strand, converse(shared_, std::move(req)),
                 [done = std::move(done)](std::exception_ptr e, std::optional<Result<std::string>> r) mutable {
                   if (e || !r) {
                     done(Error::internal("SMTP client failure: " + exception_text(e)));
                     return;
                   }
                   done(std::move(*r));
                 });
}

}  // namespace bottega::http
