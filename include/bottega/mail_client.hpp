// Outbound mail through an SMTP relay, injected like the HTTP client so tests control the peer.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bottega/errors.hpp"

namespace bottega {

struct MailRequest {
  enum class Tls { starttls, required, none };  // STARTTLS when offered / must be offered / never
  std::string host;
  uint16_t port = 587;
  Tls tls = Tls::starttls;
  std::string username, password;  // empty username: no AUTH
  std::string helo_name = "localhost";
  std::string from;                 // envelope sender
  std::vector<std::string> to;      // envelope recipients
  std::string data;                 // the RFC 5322 message, CRLF line ends, not dot-stuffed
  std::chrono::milliseconds timeout{60000};
};

class MailClient {
 public:
  virtual ~MailClient() = default;
  // Sends req; `done` runs once, on any thread, with the relay's final reply text ("250 ...") or
  // an error: Errc::unavailable for what a retry may fix (network, TLS, timeout, 4xx replies),
  // Errc::unprocessable "smtp_rejected" for 5xx, Errc::forbidden for a blocked destination or
  // AUTH refused without TLS.
  virtual void send(MailRequest req, std::function<void(Result<std::string>)> done) = 0;
};

}  // namespace bottega
