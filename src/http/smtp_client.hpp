// The SMTP relay client (Boost.Asio over TCP, STARTTLS via OpenSSL) behind bottega::MailClient:
// EHLO, STARTTLS when offered (or required), EHLO again, AUTH PLAIN or LOGIN, MAIL FROM, RCPT
// TO, DATA with dot-stuffing, QUIT. The relay's addresses pass the same SSRF guard as outbound
// HTTP (http/client.hpp) unless private networks are allowed. TLS verifies the relay's
// certificate against the system CA store (plus an optional extra CA file) and its host name.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "bottega/mail_client.hpp"

namespace bottega::http {

struct SmtpClientOptions {
  bool allow_private_networks = false;
  std::string extra_ca_file;  // PEM file of more trusted CAs (a private relay's CA); may be empty
};

// Threads: as BeastHttpClient (one strand per send, `done` called once on it). Credentials are
// sent only over TLS unless the request says Tls::none.
class SmtpMailClient final : public MailClient {
 public:
  explicit SmtpMailClient(boost::asio::io_context& io, SmtpClientOptions opts = {});
  ~SmtpMailClient() override;
  void send(MailRequest req, std::function<void(Result<std::string>)> done) override;

  struct Shared;  // what sends in flight share with the client (defined in smtp_client.cpp)

 private:
  std::shared_ptr<Shared> shared_;
};

// Dot-stuffs a message for DATA and ends it with CRLF.CRLF (bare LF become CRLF). Exposed for
// tests.
std::string smtp_dot_stuff(std::string_view data);

}  // namespace bottega::http
