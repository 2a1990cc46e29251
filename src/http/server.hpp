// The HTTP/1.1 + WebSocket server (Boost.Beast, C++20 coroutines). One coroutine per connection;
// keep-alive; a body limit, header and idle timeouts on every parser; graceful stop.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

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

// The caller runs `io` on any number of threads; each connection runs on its own strand.
// REQUIRES: io outlives the Server; router and metrics outlive every handler queued on `io`
// (declare them before the io_context). The Server object itself may be destroyed while connections
// drain: its state is shared with them.
class Server {
 public:
  Server(asio::io_context& io, ServerOptions opts, const Router& router, Metrics& metrics);
  // Calls stop().
  ~Server();
  // Binds (with SO_REUSEADDR) and starts accepting. Returns the bound port (the real one when the
  // listen port is 0), or an Error (bad listen address, bind failure). Call once.
  Result<uint16_t> start();
  // Stops accepting, closes idle connections and WebSockets, lets in-flight requests finish
  // (their connections close after the response). Thread-safe, idempotent; does not wait.
  void stop();
  // Open connections (HTTP and WebSocket). Thread-safe.
  size_t connection_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Renders the contract's error body with the status for e.errc.
Response error_response(const Request& req, const Error& e);
// The contract's error body with an explicit status (for statuses Errc has no class for: 405,
// 426, 431...).
Response error_response(const Request& req, int status, std::string_view code,
                        std::string_view message);
// A JSON response with the given status and compact body. Content-Type application/json;
// charset=utf-8, Cache-Control: no-store, keep-alive mirrors the request.
Response json_response(const Request& req, int status, std::string body);
// A response with the given body and Content-Type; keep-alive mirrors the request.
Response text_response(const Request& req, int status, std::string body, std::string content_type);
// Serves root/rel_path when it is a regular file: Content-Type by extension (html, js, css, svg,
// png, json, ico, map, woff2, txt; else application/octet-stream). nullopt when rel_path is
// refused (empty, absolute, a ".." segment, a NUL or backslash), or the file is missing,
// unreadable or larger than 32 MiB. Reads synchronously: meant for small local assets.
std::optional<Response> file_response(const Request& req, const std::string& root,
                                      std::string_view rel_path);

}  // namespace bottega::http
