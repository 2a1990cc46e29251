// The end-to-end harness (see harness.hpp). Compiled into e2e_tests through harness_test.cpp,
// because the build picks up tests/e2e/*_test.cpp only.
#include "harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <strings.h>

extern char** environ;

namespace e2e {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;
using sys_error = boost::system::error_code;

// ---------------------------------------------------------------------------------------------
// JSON

bj::value parse_json(std::string_view text) {
  sys_error ec;
  bj::value v = bj::parse(text, ec);
  if (ec) throw std::runtime_error("not JSON (" + ec.message() + "): " + std::string(text.substr(0, 500)));
  return v;
}

std::string dump(const bj::value& v) { return bj::serialize(v); }

const bj::value* find(const bj::value& v, std::string_view path) {
  const bj::value* cur = &v;
  while (!path.empty()) {
    size_t dot = path.find('.');
    std::string_view key = path.substr(0, dot);
    if (!cur->is_object()) return nullptr;
    cur = cur->as_object().if_contains(key);
    if (cur == nullptr) return nullptr;
    path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
  }
  return cur;
}

std::string str(const bj::value& v, std::string_view path) {
  const bj::value* x = find(v, path);
  return x && x->is_string() ? std::string(x->as_string()) : std::string();
}

int64_t num(const bj::value& v, std::string_view path, int64_t fallback) {
  const bj::value* x = find(v, path);
  if (x == nullptr) return fallback;
  if (x->is_int64()) return x->as_int64();
  if (x->is_uint64()) return static_cast<int64_t>(x->as_uint64());
  return fallback;
}

bj::array arr(const bj::value& v, std::string_view path) {
  const bj::value* x = find(v, path);
  return x && x->is_array() ? x->as_array() : bj::array{};
}

// ---------------------------------------------------------------------------------------------
// HTTP

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string header_of(const Headers& hs, std::string_view name) {
  for (const auto& [k, v] : hs)
    if (iequals(k, name)) return v;
  return {};
}

// Runs the io_context until the pending operations finish, then readies it for the next step.
void drain(asio::io_context& ioc) {
  ioc.run();
  ioc.restart();
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const { return header_of(headers, name); }

bool HttpResponse::has_header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return true;
  return false;
}

std::string HttpResponse::error_code() const {
  try {
    return str(json(), "error.code");
  } catch (const std::exception&) {
    return {};
  }
}

std::string HttpResponse::error_field() const {
  try {
    return str(json(), "error.field");
  } catch (const std::exception&) {
    return {};
  }
}

std::string HttpResponse::describe() const {
  return "HTTP " + std::to_string(status) + " " + body.substr(0, 1000);
}

HttpResponse http_request(uint16_t port, std::string_view method, std::string_view target, std::string_view body,
                          const Headers& headers, std::chrono::milliseconds timeout) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(timeout);
  sys_error ec;
  std::string what = std::string(method) + " " + std::string(target) + ": ";
  stream.async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), port), [&](sys_error e) { ec = e; });
  drain(ioc);
  if (ec) throw NetworkError(what + "connect: " + ec.message());

  bhttp::request<bhttp::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(bhttp::field::host, "127.0.0.1:" + std::to_string(port));
  req.set(bhttp::field::user_agent, "bottega-e2e");
  bool has_ct = false;
  for (const auto& [k, v] : headers) {
    req.insert(k, v);
    has_ct = has_ct || iequals(k, "Content-Type");
  }
  if (!body.empty() || method == "POST" || method == "PATCH" || method == "PUT") {
    if (!has_ct && !body.empty()) req.set(bhttp::field::content_type, "application/json");
    req.body() = std::string(body);
    req.prepare_payload();
  }
  req.keep_alive(false);

  sys_error wec;
  bhttp::async_write(stream, req, [&](sys_error e, size_t) { wec = e; });
  drain(ioc);
  // A server may answer (413) and stop reading before the whole body was sent: read anyway.

  beast::flat_buffer buf;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64u << 20);
  if (method == "HEAD") parser.skip(true);
  bhttp::async_read(stream, buf, parser, [&](sys_error e, size_t) { ec = e; });
  drain(ioc);
  if (ec) throw NetworkError(what + "read: " + ec.message() + (wec ? " (write: " + wec.message() + ")" : ""));

  auto res = parser.release();
  HttpResponse out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& f : res) out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  out.body = std::move(res.body());
  sys_error ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream.close();
  return out;
}

Headers bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

Headers operator+(Headers a, const Headers& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// ---------------------------------------------------------------------------------------------
// WebSocket

struct WsClient::Impl {
  asio::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  beast::flat_buffer buf;
  std::thread thread;

  mutable std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> frames;
  bool ended = false;
  std::string end_reason;
  bool closing = false;

  void read_loop() {
    ws.async_read(buf, [this](sys_error ec, size_t) {
      if (ec) {
        std::lock_guard lk(mu);
        ended = true;
        end_reason = ec.message();
        if (ws.reason().code != websocket::close_code::none)
          end_reason += " (close " + std::to_string(ws.reason().code) + " " + std::string(ws.reason().reason.data(), ws.reason().reason.size()) + ")";
        cv.notify_all();
        return;
      }
      {
        std::lock_guard lk(mu);
        frames.push_back(beast::buffers_to_string(buf.data()));
        cv.notify_all();
      }
      buf.consume(buf.size());
      read_loop();
    });
  }
};

WsClient::WsClient() : impl_(std::make_unique<Impl>()) {}

WsClient::~WsClient() {
  try {
    close();
  } catch (...) {
  }
}

bool WsClient::connect(uint16_t port, const std::string& target, const Headers& headers,
                       std::chrono::milliseconds timeout) {
  if (impl_->thread.joinable()) close();
  impl_ = std::make_unique<Impl>();
  handshake_status_ = 0;
  handshake_body_.clear();
  Impl& m = *impl_;
  auto& lowest = beast::get_lowest_layer(m.ws);
  lowest.expires_after(timeout);
  sys_error ec;
  lowest.async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), port), [&](sys_error e) { ec = e; });
  drain(m.ioc);
  if (ec) {
    m.ended = true;
    m.end_reason = "connect: " + ec.message();
    return false;
  }
  m.ws.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
    req.set(bhttp::field::user_agent, "bottega-e2e");
    for (const auto& [k, v] : headers) req.set(k, v);
  }));
  websocket::response_type res;
  m.ws.async_handshake(res, "127.0.0.1:" + std::to_string(port), target, [&](sys_error e) { ec = e; });
  drain(m.ioc);
  handshake_status_ = static_cast<int>(res.result_int());
  handshake_body_ = res.body();
  if (ec) {
    m.ended = true;
    m.end_reason = "handshake: " + ec.message();
    sys_error ignored;
    lowest.socket().close(ignored);
    return false;
  }
  lowest.expires_never();
  websocket::stream_base::timeout opt{};
  opt.handshake_timeout = std::chrono::seconds(3);  // also bounds the close handshake
  opt.idle_timeout = websocket::stream_base::none();
  opt.keep_alive_pings = false;
  m.ws.set_option(opt);
  m.ws.text(true);
  m.read_loop();
  m.thread = std::thread([&m] { m.ioc.run(); });
  return true;
}

std::optional<bj::value> WsClient::read_json(std::chrono::milliseconds timeout) {
  Impl& m = *impl_;
  std::unique_lock lk(m.mu);
  if (!m.cv.wait_for(lk, timeout, [&] { return !m.frames.empty() || m.ended; })) return std::nullopt;
  if (m.frames.empty()) return std::nullopt;
  std::string text = std::move(m.frames.front());
  m.frames.pop_front();
  lk.unlock();
  return parse_json(text);
}

std::optional<bj::value> WsClient::read_until(const std::function<bool(const bj::value&)>& pred,
                                              std::chrono::milliseconds timeout, std::vector<bj::value>* seen) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto v = read_json(left);
    if (!v) return std::nullopt;
    if (seen) seen->push_back(*v);
    if (pred(*v)) return v;
  }
}

bool WsClient::ended() const {
  std::lock_guard lk(impl_->mu);
  return impl_->ended;
}

std::string WsClient::end_reason() const {
  std::lock_guard lk(impl_->mu);
  return impl_->end_reason;
}

void WsClient::close() {
  Impl& m = *impl_;
  if (!m.thread.joinable()) return;
  asio::post(m.ioc, [&m] {
    if (m.closing) return;
    m.closing = true;
    if (!m.ws.is_open()) return;
    m.ws.async_close(websocket::close_code::normal, [&m](sys_error) {
      sys_error ignored;
      beast::get_lowest_layer(m.ws).socket().close(ignored);
    });
  });
  m.thread.join();
}

std::function<bool(const bj::value&)> is_type(std::string type) {
  return [type = std::move(type)](const bj::value& v) { return str(v, "type") == type; };
}

std::function<bool(const bj::value&)> is_message_with_text(std::string text) {
  return [text = std::move(text)](const bj::value& v) {
    return str(v, "type") == "message.created" && str(v, "data.text") == text;
  };
}

// ---------------------------------------------------------------------------------------------
// Processes

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool bindable(uint16_t port, uint16_t* bound) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  socklen_t len = sizeof a;
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  ::close(fd);
  if (ok && bound) *bound = ntohs(a.sin_port);
  return ok;
}

// A port that is free now. Preferably below the kernel's ephemeral range: while the server is
// down between a kill and its restart, a client's connect() to an ephemeral port could otherwise
// be given that very port as its source port (a TCP self-connect) and block the restart.
uint16_t free_port() {
  unsigned low = 32768;
  if (std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range"); in) in >> low;
  if (low > 11000) {
    static thread_local std::mt19937 rng{std::random_device{}()};
    std::uniform_int_distribution<unsigned> pick(10000, low - 1);
    for (int i = 0; i < 50; ++i) {
      auto p = static_cast<uint16_t>(pick(rng));
      if (bindable(p, nullptr)) return p;
    }
  }
  uint16_t p = 0;
  if (!bindable(0, &p)) throw std::runtime_error("bind 127.0.0.1:0: " + std::string(std::strerror(errno)));
  return p;
}

// The environment for children: ours minus BOTTEGA_* (which would override the config file).
std::vector<std::string> child_env() {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e)
    if (std::strncmp(*e, "BOTTEGA_", 8) != 0) out.emplace_back(*e);
  return out;
}

// fork + exec with stdout/stderr appended to the given files. The child dies with this thread
// (PR_SET_PDEATHSIG) and inherits no other descriptors.
pid_t spawn(const std::vector<std::string>& argv, const std::string& out_path, const std::string& err_path) {
  std::vector<char*> av;
  for (const auto& a : argv) av.push_back(const_cast<char*>(a.c_str()));
  av.push_back(nullptr);
  std::vector<std::string> env = child_env();
  std::vector<char*> ev;
  for (auto& e : env) ev.push_back(e.data());
  ev.push_back(nullptr);
  int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (out < 0 || err < 0 || devnull < 0) {
    int e = errno;
    for (int fd : {out, err, devnull})
      if (fd >= 0) ::close(fd);
    throw std::runtime_error("open log files in " + out_path + ": " + std::strerror(e));
  }
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    // Child: async-signal-safe calls only.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(devnull, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    if (::syscall(SYS_close_range, 3u, ~0u, 0u) != 0)
      for (int fd = 3; fd < 4096; ++fd) ::close(fd);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(av[0], av.data(), ev.data());
    ::_exit(127);
  }
  int e = errno;
  ::close(out);
  ::close(err);
  ::close(devnull);
  if (pid < 0) throw std::runtime_error("fork: " + std::string(std::strerror(e)));
  return pid;
}

// Waits for the child; returns its exit code (or -signal), or nullopt when it is still running.
std::optional<int> reap(pid_t pid, bool block) {
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid, &status, block ? 0 : WNOHANG);
    if (r == 0) return std::nullopt;
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return -WTERMSIG(status);
    return -1;
  }
}

std::string tail(const std::string& s, size_t n) { return s.size() <= n ? s : "..." + s.substr(s.size() - n); }

std::string find_binary() {
  const char* b = std::getenv("BOTTEGA_BIN");
  if (b && *b) return b;
  // Convenience for a run by hand from the build directory.
  for (const char* c : {"./bottega", "../bottega", "./build/bottega"})
    if (fs::exists(c)) return fs::absolute(c).string();
  throw std::runtime_error("set BOTTEGA_BIN to the path of the bottega binary");
}

}  // namespace

BottegaProcess::BottegaProcess(ProcessOptions opts) : opts_(std::move(opts)) {
  bin_ = find_binary();
  if (::access(bin_.c_str(), X_OK) != 0) throw std::runtime_error("BOTTEGA_BIN is not executable: " + bin_);
  std::string tmpl = (fs::temp_directory_path() / "bottega-e2e-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp: " + std::string(std::strerror(errno)));
  dir_ = tmpl;
  try {
    port_ = free_port();
    public_url_ = "http://127.0.0.1:" + std::to_string(port_);
    config_path_ = dir_ + "/bottega.toml";
    std::ofstream cfg(config_path_);
    cfg << "[server]\n"
        << "listen = \"127.0.0.1:" << port_ << "\"\n"
        << "public_url = \"" << public_url_ << "\"\n";
    if (opts_.max_body_bytes > 0) cfg << "max_body_bytes = " << opts_.max_body_bytes << "\n";
    cfg << "\n[store]\n"
        << "url = \"" << (opts_.store_url.empty() ? "sqlite://" + dir_ + "/bottega.db" : opts_.store_url) << "\"\n"
        << "\n[webchat]\n"
        << "visitor_messages_per_minute = " << opts_.visitor_messages_per_minute << "\n"
        << "ip_messages_per_minute = " << opts_.ip_messages_per_minute << "\n"
        << "ip_visitors_per_hour = " << opts_.ip_visitors_per_hour << "\n"
        << "\n[outbound]\n"
        << "allow_private_networks = " << (opts_.allow_private_networks ? "true" : "false") << "\n";
    if (!opts_.extra_toml.empty()) cfg << "\n" << opts_.extra_toml << "\n";
    cfg.close();
    if (!cfg) throw std::runtime_error("cannot write " + config_path_);
    auto r = run_cli({"migrate", "--config", config_path_});
    if (r.exit_code != 0)
      throw std::runtime_error("bottega migrate failed (" + std::to_string(r.exit_code) + "): " + r.err + r.out);
  } catch (...) {
    cleanup();
    throw;
  }
}

BottegaProcess::~BottegaProcess() {
  if (::testing::Test::HasFailure() && starts_ > 0) {
    std::cerr << "---- bottega output (" << dir_ << ", port " << port_ << ") ----\n"
              << tail(server_output(), 6000) << "\n---- end of bottega output ----\n";
  }
  cleanup();
}

void BottegaProcess::cleanup() noexcept {
  try {
    kill();
  } catch (...) {
  }
  if (!dir_.empty() && std::getenv("BOTTEGA_E2E_KEEP") == nullptr) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

CliResult BottegaProcess::run_cli(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  std::vector<std::string> argv{bin_};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string out = dir_ + "/cli.out", err = dir_ + "/cli.err";
  std::error_code ec;
  fs::remove(out, ec);
  fs::remove(err, ec);
  pid_t pid = spawn(argv, out, err);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::optional<int> code;
  while (!(code = reap(pid, false))) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      reap(pid, true);
      throw std::runtime_error("bottega " + (args.empty() ? std::string() : args[0]) + " timed out");
    }
    std::this_thread::sleep_for(10ms);
  }
  return CliResult{*code, read_file(out), read_file(err)};
}

Tenant BottegaProcess::create_tenant(const std::string& name) {
  auto r = run_cli({"admin", "create-tenant", "--config", config_path_, "--name", name});
  if (r.exit_code != 0) throw std::runtime_error("create-tenant failed: " + r.err + r.out);
  // One JSON line {"tenant_id","api_token"}.
  auto v = parse_json(r.out.substr(0, r.out.find('\n')));
  Tenant t{str(v, "tenant_id"), str(v, "api_token")};
  if (t.id.empty() || t.token.empty()) throw std::runtime_error("create-tenant printed " + r.out);
  return t;
}

std::string BottegaProcess::create_agent(const std::string& tenant_id, const std::string& email,
                                         const std::string& password, const std::string& role,
                                         const std::string& name) {
  std::vector<std::string> args{"admin", "create-agent", "--config", config_path_, "--tenant", tenant_id,
                                "--email", email, "--password", password, "--role", role};
  if (!name.empty()) {
    args.emplace_back("--name");
    args.push_back(name);
  }
  auto r = run_cli(args);
  if (r.exit_code != 0) throw std::runtime_error("create-agent failed: " + r.err + r.out);
  auto v = parse_json(r.out.substr(0, r.out.find('\n')));
  return str(v, "agent_id");
}

void BottegaProcess::start(std::chrono::milliseconds timeout) {
  if (pid_ > 0) throw std::runtime_error("bottega is already running");
  pid_ = spawn({bin_, "serve", "--config", config_path_}, dir_ + "/server.out", dir_ + "/server.err");
  ++starts_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last;
  for (;;) {
    if (auto code = reap(pid_, false)) {
      pid_ = -1;
      throw std::runtime_error("bottega serve exited with " + std::to_string(*code) + " while starting:\n" +
                               tail(server_output(), 4000));
    }
    try {
      auto r = http_request(port_, "GET", "/healthz", {}, {}, 1s);
      if (r.status == 200) return;
      last = r.describe();
    } catch (const NetworkError& e) {
      last = e.what();
    }
    if (std::chrono::steady_clock::now() > deadline) {
      kill();
      throw std::runtime_error("bottega did not answer GET /healthz within " + std::to_string(timeout.count()) +
                               " ms (last: " + last + "):\n" + tail(server_output(), 4000));
    }
    std::this_thread::sleep_for(20ms);
  }
}

void BottegaProcess::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  reap(pid_, true);
  pid_ = -1;
}

int BottegaProcess::terminate(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return 0;
  ::kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  std::optional<int> code;
  while (!(code = reap(pid_, false))) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      code = reap(pid_, true);
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  pid_ = -1;
  return code.value_or(-1);
}

void BottegaProcess::restart() {
  terminate();
  start();
}

bool BottegaProcess::running() {
  if (pid_ <= 0) return false;
  if (reap(pid_, false)) {
    pid_ = -1;
    return false;
  }
  return true;
}

std::string BottegaProcess::server_output() const {
  return read_file(dir_ + "/server.out") + read_file(dir_ + "/server.err");
}

HttpResponse BottegaProcess::request(std::string_view method, std::string_view target, std::string_view body,
                                     const Headers& headers, std::chrono::milliseconds timeout) const {
  return http_request(port_, method, target, body, headers, timeout);
}

HttpResponse BottegaProcess::get(std::string_view target, const Headers& headers) const {
  return request("GET", target, {}, headers);
}

HttpResponse BottegaProcess::post(std::string_view target, const bj::value& body, const Headers& headers) const {
  return request("POST", target, bj::serialize(body), headers);
}

HttpResponse BottegaProcess::patch(std::string_view target, const bj::value& body, const Headers& headers) const {
  return request("PATCH", target, bj::serialize(body), headers);
}

// ---------------------------------------------------------------------------------------------
// API shortcuts

std::string create_webchat_channel(const BottegaProcess& p, const std::string& token, const std::string& name) {
  auto r = p.post("/api/v1/channels", bj::object{{"type", "webchat"}, {"name", name}, {"settings", bj::object{}}},
                  bearer(token));
  if (r.status != 201) throw std::runtime_error("POST /api/v1/channels: " + r.describe());
  return str(r.json(), "id");
}

Visitor create_visitor(const BottegaProcess& p, const std::string& channel_id, const std::string& name) {
  bj::object body;
  if (!name.empty()) body["name"] = name;
  auto r = p.post("/api/v1/webchat/" + channel_id + "/visitors", body);
  if (r.status != 201) throw std::runtime_error("POST visitors: " + r.describe());
  auto v = r.json();
  return Visitor{str(v, "visitor_token"), str(v, "visitor_id")};
}

HttpResponse visitor_send(const BottegaProcess& p, const std::string& channel_id, const std::string& visitor_token,
                          const std::string& text, const std::string& idempotency_key,
                          std::chrono::milliseconds timeout) {
  Headers h{{"X-Visitor-Token", visitor_token}};
  if (!idempotency_key.empty()) h.emplace_back("Idempotency-Key", idempotency_key);
  return p.request("POST", "/api/v1/webchat/" + channel_id + "/messages", bj::serialize(bj::object{{"text", text}}),
                   h, timeout);
}

std::vector<bj::value> list_all(const BottegaProcess& p, const std::string& path, const Headers& headers, int limit) {
  std::vector<bj::value> out;
  std::vector<std::string> cursors;
  std::string cursor;
  for (int page = 0;; ++page) {
    if (page > 10000) throw std::runtime_error("list_all: too many pages of " + path);
    std::string target = path + (path.find('?') == std::string::npos ? "?" : "&") + "limit=" + std::to_string(limit);
    if (!cursor.empty()) target += "&cursor=" + cursor;  // cursors are URL-safe tokens
    auto r = p.get(target, headers);
    if (r.status != 200) throw std::runtime_error("GET " + target + ": " + r.describe());
    auto v = r.json();
    for (auto& item : arr(v, "data")) out.push_back(item);
    const bj::value* next = find(v, "next_cursor");
    if (next == nullptr) throw std::runtime_error("GET " + target + ": no next_cursor in " + r.body.substr(0, 300));
    if (next->is_null()) return out;
    if (!next->is_string()) throw std::runtime_error("GET " + target + ": next_cursor is not a string");
    cursor = std::string(next->as_string());
    for (const auto& c : cursors)
      if (c == cursor) throw std::runtime_error("GET " + path + ": cursor " + cursor + " repeats");
    cursors.push_back(cursor);
  }
}

bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout, std::chrono::milliseconds step) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (cond()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(step);
  }
}

std::string random_hex(size_t bytes) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < bytes; ++i) {
    auto b = static_cast<unsigned>(rng() & 0xff);
    s.push_back(digits[b >> 4]);
    s.push_back(digits[b & 15]);
  }
  return s;
}

void Threads::spawn(std::function<void()> fn) {
  threads_.emplace_back([fn = std::move(fn)] {
    try {
      fn();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "exception in a test thread: " << e.what();
    } catch (...) {
      ADD_FAILURE() << "unknown exception in a test thread";
    }
  });
}

void Threads::join() {
  if (stop_) {
    auto stop = std::move(stop_);
    stop_ = nullptr;
    stop();
  }
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

// ---------------------------------------------------------------------------------------------
// WebhookReceiver: an asynchronous Beast server on its own io_context thread (callbacks only).

std::string WebhookReceiver::Request::header(std::string_view name) const { return header_of(headers, name); }

struct WebhookReceiver::Impl {
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::function<int(size_t, const Request&)> answer;
  mutable std::mutex mu;
  std::vector<Request> requests;
  std::thread thread;

  struct Conn : std::enable_shared_from_this<Conn> {
    Impl& owner;
    beast::tcp_stream stream;
    beast::flat_buffer buf;
    bhttp::request<bhttp::string_body> req;
    bhttp::response<bhttp::string_body> res;

    Conn(Impl& o, tcp::socket s) : owner(o), stream(std::move(s)) {}

    void read() {
      req = {};
      stream.expires_after(std::chrono::seconds(30));
      bhttp::async_read(stream, buf, req, [self = shared_from_this()](sys_error ec, size_t) {
        if (ec) {
          sys_error ignored;
          self->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
          return;
        }
        self->handle();
      });
    }

    void handle() {
      Request r;
      r.method = std::string(req.method_string());
      r.target = std::string(req.target());
      for (const auto& f : req) r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
      r.body = req.body();
      r.at = std::chrono::steady_clock::now();
      size_t index;
      {
        std::lock_guard lk(owner.mu);
        index = owner.requests.size();
      }
      int status = 500;
      try {
        status = owner.answer ? owner.answer(index, r) : 200;
      } catch (const std::exception& e) {
        ADD_FAILURE() << "WebhookReceiver answer: " << e.what();
      }
      r.answered = status;
      {
        std::lock_guard lk(owner.mu);
        owner.requests.push_back(std::move(r));
      }
      res = {};
      res.version(req.version());
      res.result(static_cast<unsigned>(status));
      res.set(bhttp::field::content_type, "text/plain");
      if (status != 204 && status != 304 && status >= 200) res.body() = status < 300 ? "ok" : "try again";
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      bhttp::async_write(stream, res, [self = shared_from_this()](sys_error ec, size_t) {
        if (ec || !self->res.keep_alive()) {
          sys_error ignored;
          self->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
          return;
        }
        self->read();
      });
    }
  };

  void accept() {
    acceptor.async_accept([this](sys_error ec, tcp::socket s) {
      if (ec) return;
      std::make_shared<Conn>(*this, std::move(s))->read();
      accept();
    });
  }
};

WebhookReceiver::WebhookReceiver(std::function<int(size_t, const Request&)> answer)
    : impl_(std::make_unique<Impl>()) {
  impl_->answer = std::move(answer);
  tcp::endpoint ep(asio::ip::address_v4::loopback(), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  port_ = impl_->acceptor.local_endpoint().port();
  impl_->accept();
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

WebhookReceiver::~WebhookReceiver() {
  impl_->ioc.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::string WebhookReceiver::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<WebhookReceiver::Request> WebhookReceiver::requests() const {
  std::lock_guard lk(impl_->mu);
  return impl_->requests;
}

size_t WebhookReceiver::count() const {
  std::lock_guard lk(impl_->mu);
  return impl_->requests.size();
}

}  // namespace e2e
