// End-to-end harness: runs the real `bottega` binary (BOTTEGA_BIN) in a temporary directory on a
// free local port and talks to it over plain HTTP and WebSocket, synchronously (no coroutines).
//
//   e2e::BottegaProcess srv;                  // temp dir, config, `bottega migrate`
//   auto shop = srv.create_tenant("Shop");    // `bottega admin create-tenant`
//   srv.start();                              // `bottega serve`, waits for GET /healthz
//   auto res = srv.get("/api/v1/channels", e2e::bearer(shop.token));
//
// Every BottegaProcess kills its server and removes its directory when it goes away (also when a
// test fails); the server's output is printed when the test has failed.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace e2e {

namespace bj = boost::json;
using namespace std::chrono_literals;
using Headers = std::vector<std::pair<std::string, std::string>>;

// ---------------------------------------------------------------------------------------------
// JSON helpers

// Parses JSON; throws std::runtime_error (quoting the text) when it is not JSON.
bj::value parse_json(std::string_view text);
std::string dump(const bj::value& v);
// The value at a dotted path ("error.code", "data.author.kind"), or nullptr.
const bj::value* find(const bj::value& v, std::string_view path);
// The string at a dotted path, or "" when absent or not a string.
std::string str(const bj::value& v, std::string_view path);
// The integer at a dotted path, or `fallback`.
int64_t num(const bj::value& v, std::string_view path, int64_t fallback = -1);
// The array at a dotted path (empty when absent).
bj::array arr(const bj::value& v, std::string_view path);

// ---------------------------------------------------------------------------------------------
// HTTP

// A connection-level failure: refused, reset, closed early, timed out.
struct NetworkError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct HttpResponse {
  int status = 0;
  Headers headers;
  std::string body;

  // First header of that name (case-insensitive), or "".
  std::string header(std::string_view name) const;
  bool has_header(std::string_view name) const;
  // The body as JSON (throws when it is not JSON).
  bj::value json() const { return parse_json(body); }
  // error.code / error.field of an error body, or "".
  std::string error_code() const;
  std::string error_field() const;
  // "HTTP 404 {...}" for assertion messages.
  std::string describe() const;
};

// One request on a fresh connection to 127.0.0.1:port (Connection: close). A body gets
// Content-Type: application/json unless `headers` has one. Throws NetworkError.
HttpResponse http_request(uint16_t port, std::string_view method, std::string_view target,
                          std::string_view body = {}, const Headers& headers = {},
                          std::chrono::milliseconds timeout = 10s);

Headers bearer(const std::string& token);
Headers operator+(Headers a, const Headers& b);

// ---------------------------------------------------------------------------------------------
// WebSocket client: connects synchronously, then a background thread reads frames into a queue,
// so read_json() can wait with a timeout without breaking the connection.
class WsClient {
 public:
  WsClient();
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // Opens ws://127.0.0.1:port<target>. True once upgraded; false when refused (handshake_status()
  // is then the HTTP status of the refusal, 0 when the connection itself failed).
  bool connect(uint16_t port, const std::string& target, const Headers& headers = {},
               std::chrono::milliseconds timeout = 5s);
  int handshake_status() const { return handshake_status_; }
  const std::string& handshake_body() const { return handshake_body_; }

  // The next text frame as JSON; nullopt on timeout or when the connection has ended.
  std::optional<bj::value> read_json(std::chrono::milliseconds timeout = 5s);
  // Reads frames until one satisfies `pred` and returns it (every frame read, including the
  // match, is appended to `seen` when given); nullopt on timeout or end.
  std::optional<bj::value> read_until(const std::function<bool(const bj::value&)>& pred,
                                      std::chrono::milliseconds timeout = 5s,
                                      std::vector<bj::value>* seen = nullptr);
  // True when the connection has ended (closed by either side or failed).
  bool ended() const;
  std::string end_reason() const;
  // Sends a close frame and waits for the connection to end. Safe to call twice.
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int handshake_status_ = 0;
  std::string handshake_body_;
};

// Predicates for read_until.
std::function<bool(const bj::value&)> is_type(std::string type);
std::function<bool(const bj::value&)> is_message_with_text(std::string text);

// ---------------------------------------------------------------------------------------------
// The server process

struct ProcessOptions {
  // Web chat limits: high by default so tests do not hit them unless they mean to.
  int visitor_messages_per_minute = 1'000'000;
  int ip_messages_per_minute = 1'000'000;
  int ip_visitors_per_hour = 1'000'000;
  int64_t max_body_bytes = 0;  // 0: the server's default
  std::string extra_toml;      // appended to the config file (sections not written above)
  // The [store] url; empty: a SQLite file in the process's temp dir. Several processes given the
  // same PostgreSQL URL are nodes of one installation.
  std::string store_url;
  // [outbound] allow_private_networks: on, so the simulators on loopback can be reached; off to
  // test that provider calls refuse private and loopback destinations.
  bool allow_private_networks = true;
};

struct Tenant {
  std::string id;
  std::string token;
};

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class BottegaProcess {
 public:
  // Creates the temp dir, picks a free port, writes the config and runs `bottega migrate`.
  explicit BottegaProcess(ProcessOptions opts = {});
  ~BottegaProcess();
  BottegaProcess(const BottegaProcess&) = delete;
  BottegaProcess& operator=(const BottegaProcess&) = delete;

  // Runs `bottega <args...>` to completion (stdout and stderr captured).
  CliResult run_cli(const std::vector<std::string>& args, std::chrono::milliseconds timeout = 30s);
  // `bottega admin create-tenant`; throws on failure.
  Tenant create_tenant(const std::string& name);
  // `bottega admin create-agent`; returns the agent id; throws on failure.
  std::string create_agent(const std::string& tenant_id, const std::string& email, const std::string& password,
                           const std::string& role = "admin", const std::string& name = "");

  // Starts `bottega serve` and waits until GET /healthz answers 200; throws (with the server's
  // output) when it does not within `timeout`.
  void start(std::chrono::milliseconds timeout = 20s);
  // SIGKILL and reap. No-op when not running.
  void kill();
  // SIGTERM and wait (SIGKILL after `grace`); returns the exit status (or -signal).
  int terminate(std::chrono::milliseconds grace = 15s);
  // terminate() then start() on the same directory and port.
  void restart();
  bool running();

  uint16_t port() const { return port_; }
  const std::string& public_url() const { return public_url_; }
  const std::string& dir() const { return dir_; }
  const std::string& config_path() const { return config_path_; }
  int starts() const { return starts_; }
  // Everything the server printed so far (stdout then stderr of every run).
  std::string server_output() const;

  HttpResponse request(std::string_view method, std::string_view target, std::string_view body = {},
                       const Headers& headers = {}, std::chrono::milliseconds timeout = 10s) const;
  HttpResponse get(std::string_view target, const Headers& headers = {}) const;
  HttpResponse post(std::string_view target, const bj::value& body, const Headers& headers = {}) const;
  HttpResponse patch(std::string_view target, const bj::value& body, const Headers& headers = {}) const;

 private:
  void cleanup() noexcept;

  ProcessOptions opts_;
  std::string bin_;
  std::string dir_;
  std::string config_path_;
  std::string public_url_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  int starts_ = 0;
};

// ---------------------------------------------------------------------------------------------
// API shortcuts (they assert nothing; they throw std::runtime_error on an unexpected status)

// POST /api/v1/channels {"type":"webchat",...}; returns the channel id.
std::string create_webchat_channel(const BottegaProcess& p, const std::string& token,
                                   const std::string& name = "Shop");

struct Visitor {
  std::string token;
  std::string id;
};
Visitor create_visitor(const BottegaProcess& p, const std::string& channel_id, const std::string& name = "");

// POST /api/v1/webchat/{channel}/messages with X-Visitor-Token (and Idempotency-Key when given).
HttpResponse visitor_send(const BottegaProcess& p, const std::string& channel_id, const std::string& visitor_token,
                          const std::string& text, const std::string& idempotency_key = "",
                          std::chrono::milliseconds timeout = 10s);

// Pages through a list route (?limit=&cursor=) until next_cursor is null; returns every item.
// Throws on a non-200 answer or when a cursor repeats.
std::vector<bj::value> list_all(const BottegaProcess& p, const std::string& path, const Headers& headers,
                                int limit = 50);

// Polls `cond` every `step` until it is true or `timeout` passes; returns the last result.
bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout,
                std::chrono::milliseconds step = 50ms);

// A random hex string (for unique texts and keys).
std::string random_hex(size_t bytes = 8);

// Test threads that are always joined: the destructor calls `stop` and joins, so a failed ASSERT
// or an exception in the test body never leaves a joinable std::thread behind (std::terminate).
// An exception escaping a thread's function is reported as a test failure.
class Threads {
 public:
  explicit Threads(std::function<void()> stop = {}) : stop_(std::move(stop)) {}
  ~Threads() { join(); }
  Threads(const Threads&) = delete;
  Threads& operator=(const Threads&) = delete;
  void spawn(std::function<void()> fn);
  // Calls `stop` (once) and joins every thread.
  void join();

 private:
  std::function<void()> stop_;
  std::vector<std::thread> threads_;
};

// ---------------------------------------------------------------------------------------------
// A tiny local HTTP server (127.0.0.1, port chosen by the kernel) for merchant webhooks. Every
// request is recorded; `answer` picks the status (called with the request's index, 0-based).
class WebhookReceiver {
 public:
  struct Request {
    std::string method;
    std::string target;
    Headers headers;
    std::string body;
    int answered = 0;  // the status we sent back
    std::chrono::steady_clock::time_point at;
    std::string header(std::string_view name) const;
  };

  explicit WebhookReceiver(std::function<int(size_t index, const Request&)> answer);
  ~WebhookReceiver();
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  uint16_t port() const { return port_; }
  std::string url(const std::string& path = "/hook") const;
  std::vector<Request> requests() const;
  size_t count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
};

}  // namespace e2e
