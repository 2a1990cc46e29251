// The outbound HTTP client (Boost.Beast over Asio, TLS via OpenSSL) behind bottega::HttpClient,
// with an SSRF guard: by default it refuses destinations that resolve to internal addresses.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>

#include "bottega/http_client.hpp"

namespace bottega::http {

struct ClientOptions {
  // Lets requests reach loopback, private, link-local... addresses (tests, simulators, a PSP on
  // the same host). Off in production.
  bool allow_private_networks = false;
  size_t max_response_bytes = 4 << 20;     // body limit; larger responses fail "response_too_large"
  std::string user_agent = "Bottega/0.1";  // unless the request sets its own User-Agent
};

// True for an address an outbound request must not reach unless allow_private_networks: loopback,
// unspecified, "this network" 0/8, private 10/8 172.16/12 192.168/16, CGNAT 100.64/10, link-local
// 169.254/16 fe80::/10, 192.0.0/24, benchmarking 198.18/15, multicast, reserved 240/4 and
// broadcast, unique-local fc00::/7, site-local fec0::/10, and any IPv6 form embedding a blocked
// IPv4 address (IPv4-mapped, IPv4-compatible, NAT64 64:ff9b::/96, 6to4 2002::/16).
bool is_blocked_address(const boost::asio::ip::address& addr);

// One request per connection (Connection: close), no redirects followed, http and https (system CA
// store, SNI, host name verification, TLS 1.2+). The host is resolved once; unless
// allow_private_networks, the request fails with Errc::forbidden "destination_blocked" when ANY
// resolved address is blocked, and only the vetted addresses are connected to. HttpRequest::timeout
// covers the whole exchange (DNS, connect, TLS, write, read).
//
// Threads: runs on the caller's io_context, which the caller runs on any number of threads; each
// request runs on its own strand and `done` is called exactly once on that strand, unless the
// io_context is stopped for good before the request completes (then the pending work, `done`
// included, is destroyed without being called). send() is thread-safe. The client may be destroyed
// while requests are in flight; the io_context must outlive them.
//
// Errors: invalid_url (400), destination_blocked (403), and Errc::unavailable with code dns_failed,
// connect_failed, tls_failed, timeout, response_too_large or upstream_error.
class BeastHttpClient final : public HttpClient {
 public:
  explicit BeastHttpClient(boost::asio::io_context& io, ClientOptions opts = {});
  ~BeastHttpClient() override;

  void send(HttpRequest req, std::function<void(Result<HttpResponse>)> done) override;

 private:
  struct Shared;
  std::shared_ptr<Shared> shared_;
};

}  // namespace bottega::http
