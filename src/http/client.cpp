#include "http/client.hpp"
#include "http/exception_text.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <exception>
#include <optional>
#include <vector>

#include <openssl/ssl.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace bottega::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kTok = asio::as_tuple(asio::use_awaitable);
constexpr uint32_t kMaxResponseHeaderBytes = 64 << 10;

bool in_v4(uint32_t v, uint32_t net, int bits) {
  return (v >> (32 - bits)) == (net >> (32 - bits));
}

bool blocked_v4(const asio::ip::address_v4& a) {
  const uint32_t v = a.to_uint();
  return in_v4(v, 0x00000000, 8) ||   // 0.0.0.0/8 "this network" (incl. unspecified)
         in_v4(v, 0x0a000000, 8) ||   // 10/8
         in_v4(v, 0x64400000, 10) ||  // 100.64/10 CGNAT
         in_v4(v, 0x7f000000, 8) ||   // 127/8 loopback
         in_v4(v, 0xa9fe0000, 16) ||  // 169.254/16 link-local (cloud metadata)
         in_v4(v, 0xac100000, 12) ||  // 172.16/12
         in_v4(v, 0xc0000000, 24) ||  // 192.0.0/24 IETF protocol assignments
         in_v4(v, 0xc0a80000, 16) ||  // 192.168/16
         in_v4(v, 0xc6120000, 15) ||  // 198.18/15 benchmarking
         in_v4(v, 0xe0000000, 4) ||   // 224/4 multicast
         in_v4(v, 0xf0000000, 4);     // 240/4 reserved, 255.255.255.255 broadcast
}

asio::ip::address_v4 v4_from(const asio::ip::address_v6::bytes_type& b, size_t at) {
  return asio::ip::address_v4(
      asio::ip::address_v4::bytes_type{b[at], b[at + 1], b[at + 2], b[at + 3]});
}

bool blocked_v6(const asio::ip::address_v6& a) {
  if (a.is_loopback() || a.is_unspecified() || a.is_link_local() || a.is_site_local() ||
      a.is_multicast()) {
    return true;
  }
  const auto b = a.to_bytes();
  if ((b[0] & 0xfe) == 0xfc) return true;  // fc00::/7 unique-local
  if (a.is_v4_mapped()) return blocked_v4(v4_from(b, 12));
  const bool first96_zero = std::all_of(b.begin(), b.begin() + 12, [](auto x) { return x == 0; });
  if (first96_zero) return blocked_v4(v4_from(b, 12));  // IPv4-compatible ::a.b.c.d
  static constexpr std::array<unsigned char, 12> kNat64 = {0x00, 0x64, 0xff, 0x9b, 0, 0,
                                                           0,    0,    0,    0,    0, 0};
  if (std::equal(kNat64.begin(), kNat64.end(), b.begin())) return blocked_v4(v4_from(b, 12));
  if (b[0] == 0x20 && b[1] == 0x02) return blocked_v4(v4_from(b, 2));  // 6to4
  return false;
}

Error failure(std::string code, std::string message) {
  return Error{Errc::unavailable, std::move(code), std::move(message), {}};
}

bool valid_host_name(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  return std::all_of(h.begin(), h.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
  });
}

bool valid_token(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

bool valid_header_value(std::string_view s) {
  return std::none_of(s.begin(), s.end(),
                      [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

struct Target {
  bool https = false;
  std::string host;  // without brackets; what is resolved and verified
  bool host_is_ip = false;
  std::string port;  // numeric
  std::string host_header;
  std::string target;  // origin-form: path and query
};

Result<Target> parse_target(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed)
    return Error::invalid("url", "invalid URL: " + parsed.error().message(), "invalid_url");
  const boost::urls::url_view u = *parsed;
  Target t;
  if (u.scheme_id() == boost::urls::scheme::https) {
    t.https = true;
  } else if (u.scheme_id() != boost::urls::scheme::http) {
    return Error::invalid("url", "only http and https URLs are supported", "invalid_url");
  }
  if (u.has_userinfo()) {
    return Error::invalid("url", "credentials in the URL are not supported", "invalid_url");
  }
  switch (u.host_type()) {
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::ipv6:
      t.host_is_ip = true;
      break;
    case boost::urls::host_type::name:
      break;
    default:
      return Error::invalid("url", "the URL has no usable host", "invalid_url");
  }
  t.host = u.host_address();
  if (!t.host_is_ip && !valid_host_name(t.host)) {
    return Error::invalid("url", "invalid host name in the URL", "invalid_url");
  }
  if (u.has_port()) {
    if (u.port().empty() || u.port_number() == 0) {
      return Error::invalid("url", "invalid port in the URL", "invalid_url");
    }
    t.port = std::to_string(u.port_number());
  } else {
    t.port = t.https ? "443" : "80";
  }
  t.host_header = std::string(u.encoded_host_and_port());
  t.target = std::string(u.encoded_path());
  if (t.target.empty()) t.target = "/";
  if (u.has_query()) t.target += "?" + std::string(u.encoded_query());
  return t;
}

// The state a request's watchdog shares with its coroutine. Everything runs on one strand.
struct Exchange {
  Exchange(const asio::any_io_executor& ex, ssl::context& tls)
      : resolver(ex), timer(ex), stream(tcp::socket(ex), tls) {}
  tcp::resolver resolver;
  asio::steady_timer timer;
  ssl::stream<tcp::socket> stream;
  bool timed_out = false;
};

}  // namespace

bool is_blocked_address(const asio::ip::address& addr) {
  return addr.is_v4() ? blocked_v4(addr.to_v4()) : blocked_v6(addr.to_v6());
}

namespace {

// What requests in flight share with the client (which may be destroyed before they finish).
struct ClientState {
  ClientState(asio::io_context& io_, ClientOptions opts_)
      : io(io_), opts(std::move(opts_)), tls(ssl::context::tls_client) {
    beast::error_code ec;
    tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3 | ssl::context::no_compression,
                    ec);
    SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
    tls.set_default_verify_paths(ec);
    if (ec) tls_setup_error = "cannot load the system CA store: " + ec.message();
    tls.set_verify_mode(ssl::verify_peer, ec);
  }

  asio::io_context& io;
  const ClientOptions opts;
  ssl::context tls;
  std::string tls_setup_error;  // non-empty: https requests fail with it
};

template <class Stream>
asio::awaitable<Result<HttpResponse>> talk(Stream& stream, const HttpRequest& in, const Target& t,
                                           const ClientOptions& opts) {
  bhttp::request<bhttp::string_body> req;
  const auto verb = bhttp::string_to_verb(in.method);
  if (verb == bhttp::verb::unknown) {
    req.method_string(in.method);
  } else {
    req.method(verb);
  }
  req.target(t.target);
  req.version(11);
  req.set(bhttp::field::host, t.host_header);
  bool has_user_agent = false;
  for (const auto& [name, value] : in.headers) {
    if (beast::iequals(name, "host") || beast::iequals(name, "content-length") ||
        beast::iequals(name, "transfer-encoding") || beast::iequals(name, "connection")) {
      continue;
    }
    has_user_agent = has_user_agent || beast::iequals(name, "user-agent");
    req.insert(name, value);  // repeated names are kept, in order
  }
  if (!has_user_agent) req.set(bhttp::field::user_agent, opts.user_agent);
  req.set(bhttp::field::connection, "close");
  req.body() = in.body;
  req.prepare_payload();

  auto [wec, wn] = co_await bhttp::async_write(stream, req, kTok);
  if (wec) co_return failure("upstream_error", "sending the request failed: " + wec.message());

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  const size_t body_limit = in.max_response_bytes ? in.max_response_bytes : opts.max_response_bytes;
  parser.body_limit(body_limit);
  parser.header_limit(kMaxResponseHeaderBytes);
  if (verb == bhttp::verb::head) parser.skip(true);
  auto [rec, rn] = co_await bhttp::async_read(stream, buffer, parser, kTok);
  if (rec == bhttp::error::body_limit) {
    co_return failure("response_too_large", "the response body exceeds " +
                                                std::to_string(body_limit) + " bytes");
  }
  if (rec) co_return failure("upstream_error", "reading the response failed: " + rec.message());

  auto& msg = parser.get();
  HttpResponse out;
  out.status = static_cast<int>(msg.result_int());
  for (const auto& f : msg)
    out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  out.body = std::move(msg.body());
  co_return out;
}

Result<HttpResponse> timeout_error(const Target& t, const HttpRequest& in) {
  return failure("timeout", "request to " + t.host + " timed out after " +
                                std::to_string(in.timeout.count()) + " ms");
}

// The whole request; an optional because co_spawn needs a default-constructible result.
asio::awaitable<std::optional<Result<HttpResponse>>> exchange(std::shared_ptr<ClientState> shared,
                                                              HttpRequest in) {
  auto parsed = parse_target(in.url);
  if (!parsed) co_return std::move(parsed).error();
  const Target t = std::move(parsed).value();
  for (const auto& [name, value] : in.headers) {
    if (!valid_token(name) || !valid_header_value(value)) {
      co_return Error::invalid("headers", "invalid header \"" + name + "\"");
    }
  }
  if (!valid_token(in.method)) co_return Error::invalid("method", "invalid HTTP method");
  if (t.https && !shared->tls_setup_error.empty()) {
    co_return failure("tls_failed", shared->tls_setup_error);
  }

  const auto ex = co_await asio::this_coro::executor;
  auto x = std::make_shared<Exchange>(ex, shared->tls);
  // The watchdog: on expiry it cancels whatever step is under way; the step then fails and the
  // flag turns that failure into a timeout.
  x->timer.expires_after(std::max(in.timeout, std::chrono::milliseconds(1)));
  x->timer.async_wait([x](const beast::error_code& ec) {
    if (ec) return;
    x->timed_out = true;
    x->resolver.cancel();
    beast::error_code ignored;
    x->stream.next_layer().close(ignored);
  });
  struct DisarmOnExit {
    Exchange& x;
    ~DisarmOnExit() {
      x.timer.cancel();
      beast::error_code ignored;
      x.stream.next_layer().close(ignored);
    }
  } disarm{*x};

  auto [rec, results] = co_await x->resolver.async_resolve(t.host, t.port, kTok);
  if (x->timed_out) co_return timeout_error(t, in);
  if (rec || results.empty()) {
    co_return failure("dns_failed", "cannot resolve " + t.host + ": " + rec.message());
  }
  std::vector<tcp::endpoint> endpoints;
  for (const auto& r : results) {
    const auto addr = r.endpoint().address();
    if (!shared->opts.allow_private_networks && is_blocked_address(addr)) {
      co_return Error::forbidden(
          "destination_blocked",
          t.host + " resolves to a non-public address (" + addr.to_string() + ")");
    }
    endpoints.push_back(r.endpoint());
  }

  auto [cec, ep] = co_await asio::async_connect(x->stream.next_layer(), endpoints, kTok);
  if (x->timed_out) co_return timeout_error(t, in);
  if (cec)
    co_return failure("connect_failed", "cannot connect to " + t.host + ": " + cec.message());

  std::optional<Result<HttpResponse>> result;
  if (t.https) {
    if (!t.host_is_ip) SSL_set_tlsext_host_name(x->stream.native_handle(), t.host.c_str());
    x->stream.set_verify_mode(ssl::verify_peer);
    x->stream.set_verify_callback(ssl::host_name_verification(t.host));
    auto [hec] = co_await x->stream.async_handshake(ssl::stream_base::client, kTok);
    if (x->timed_out) co_return timeout_error(t, in);
    if (hec) co_return failure("tls_failed", "TLS with " + t.host + " failed: " + hec.message());
    result.emplace(co_await talk(x->stream, in, t, shared->opts));
  } else {
    result.emplace(co_await talk(x->stream.next_layer(), in, t, shared->opts));
  }
  if (x->timed_out) co_return timeout_error(t, in);
  co_return result;
}

}  // namespace

struct BeastHttpClient::Shared : ClientState {
  using ClientState::ClientState;
};

BeastHttpClient::BeastHttpClient(asio::io_context& io, ClientOptions opts)
    : shared_(std::make_shared<Shared>(io, std::move(opts))) {}

BeastHttpClient::~BeastHttpClient() = default;

void BeastHttpClient::send(HttpRequest req, std::function<void(Result<HttpResponse>)> done) {
  auto strand = asio::make_strand(shared_->io);
  asio::co_spawn(strand, exchange(std::shared_ptr<ClientState>(shared_), std::move(req)),
                 [done = std::move(done)](std::exception_ptr e,
                                          std::optional<Result<HttpResponse>> r) mutable {
                   if (e || !r) {
                     done(Error::internal("HTTP client failure: " + exception_text(e)));
                     return;
                   }
                   done(std::move(*r));
                 });
}

}  // namespace bottega::http
