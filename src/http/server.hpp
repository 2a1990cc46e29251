// The HTTP/1.1 + WebSocket server (Boost.Beast, C++20 coroutines). One coroutine per connection;
// keep-alive; a body limit, header and idle timeouts on every parser; graceful stop.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "bottega/errors.hpp"
#include "core/metrics.hpp"
#include "http/router.hpp"

namespace bottega::http {

struct ServerOptions {
  std::string listen = "127.0.0.1:8080";  // host:port; port 0 picks a free one
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 16 << 10;
  int header_timeout_s = 10;
  int idle_timeout_s = 60;
  size_t max_connections = 10000;
  std::string server_header = "bottega";
};

class Server {
 public:
  Server(asio::io_context& io, ServerOptions opts, const Router& router, Metrics& metrics);
  ~Server();
  // Binds and starts accepting. Returns the bound port, or an error message.
  Result<uint16_t> start();
  // Stops accepting, closes idle connections, lets in-flight requests finish.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Renders the contract's error body with the status for e.errc.
Response error_response(const Request& req, const Error& e);
// A JSON response with the given status and compact body.
Response json_response(const Request& req, int status, std::string body);

}  // namespace bottega::http
