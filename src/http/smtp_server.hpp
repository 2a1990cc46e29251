// The built-in SMTP/LMTP listener (Boost.Asio, C++20 coroutines) that receives mail for email
// channels: Postfix can deliver to it over LMTP, or it can receive over SMTP directly. Each
// connection runs an SmtpSession (smtp_session.hpp); recipients are checked and messages delivered
// through a MailSink, and 250 is answered only after the sink reports the message durably
// committed. Line length, message size, recipients and idle time are bounded.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "bottega/errors.hpp"
#include "core/metrics.hpp"
#include "http/smtp_session.hpp"

namespace bottega::http {

// Where received mail goes. Both calls may complete on any thread, exactly once.
class MailSink {
 public:
  virtual ~MailSink() = default;
  // Whether mail for `address` is accepted here (an email channel's address or +token form).
  virtual void check_recipient(std::string address, std::function<void(bool accepted)> done) = 0;
  // Stores `message` for every recipient; done(committed) only once it is durably committed.
  virtual void deliver(std::string mail_from, std::vector<std::string> recipients, std::string message,
                       std::function<void(DeliveryResult)> done) = 0;
};

struct SmtpServerOptions {
  std::string listen = "127.0.0.1:2525";  // host:port; port 0 picks a free one
  SmtpSessionOptions session;
  size_t max_line_bytes = 8192;  // longer lines: 500, or inside DATA the message is refused (552)
  int idle_timeout_s = 300;      // per command / per DATA line (RFC 5321 suggests 5 minutes)
  size_t max_connections = 500;
};

// REQUIRES: io, sink and metrics outlive the server and every connection (declare them first).
class SmtpServer {
 public:
  SmtpServer(boost::asio::io_context& io, SmtpServerOptions opts, MailSink& sink, Metrics& metrics);
  ~SmtpServer();  // calls stop()
  // Binds and starts accepting; the bound port or an error naming "email.listen".
  Result<uint16_t> start();
  // Stops accepting and closes every connection (a message whose commit is under way still
  // commits; its sender, having seen no 250, retries and the retry is deduplicated). Idempotent.
  void stop();

 private:
  struct State;
  std::shared_ptr<State> st_;
};

}  // namespace bottega::http
