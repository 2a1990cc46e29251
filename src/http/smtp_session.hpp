// The server side of one SMTP (RFC 5321) or LMTP (RFC 2033) conversation as a pure state
// machine: it is fed lines (without CRLF) and answers with reply text and, where the host must do
// something asynchronous, an action (check a recipient, deliver the message durably). No I/O;
// src/http/smtp_server.cpp drives it over a socket. Not thread-safe (one per connection).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace bottega::http {

// What became of a message the host was asked to deliver.
enum class DeliveryResult {
  committed,  // durably stored: 250
  deferred,   // temporary failure (store busy, shutting down): 451, the sender retries
  rejected,   // permanently unacceptable (malformed beyond reading, too complex): 554
};

struct SmtpSessionOptions {
  std::string hostname = "bottega";     // in the greeting and EHLO answer
  bool lmtp = false;                    // LHLO instead of HELO/EHLO; one DATA reply per recipient
  size_t max_message_bytes = 10u << 20; // SIZE; larger messages get 552 after DATA
  size_t max_recipients = 50;
  int max_errors = 10;                  // bad commands before the session is closed
};

class SmtpSession {
 public:
  enum class Action {
    none,             // send `reply`, read the next line
    check_recipient,  // ask the host about recipient(); then call recipient_checked()
    deliver,          // deliver message() to recipients(); then call delivered()
    close,            // send `reply`, then close the connection
  };
  struct Step {
    std::string reply;  // CRLF-terminated reply lines; may be empty (inside DATA)
    Action action = Action::none;
  };

  explicit SmtpSession(SmtpSessionOptions opts);

  Step greeting() const;
  // One line received, without its CRLF (or LF). REQUIRES: no action pending.
  Step on_line(std::string_view line);
  // The line was longer than the reader allows: 500 (command) or, inside DATA, the message is
  // refused after its end with 552.
  Step on_line_too_long();

  // The host's answer for check_recipient: accepted, or the permanent reason it is not.
  Step recipient_checked(bool accepted);
  // The host's answer for deliver -> 250 / 451 / 554 (once per recipient in LMTP).
  Step delivered(DeliveryResult result);

  const std::string& recipient() const { return pending_rcpt_; }
  const std::vector<std::string>& recipients() const { return rcpts_; }
  const std::string& mail_from() const { return from_; }
  const std::string& message() const { return data_; }
  bool in_data() const { return state_ == State::data; }

 private:
  enum class State { start, greeted, mail, rcpt, data, busy };
  Step error(std::string reply);
  void reset_transaction();

  SmtpSessionOptions opts_;
  State state_ = State::start;
  std::string from_, pending_rcpt_, data_;
  std::vector<std::string> rcpts_;
  bool oversized_ = false;
  int errors_ = 0;
};

// The address inside "<...>" of a MAIL FROM / RCPT TO argument (ESMTP parameters after it are
// ignored; a source route "@a,@b:" is dropped); "" for the null reverse-path "<>". *ok is false
// on a syntax error. Exposed for tests.
std::string smtp_path_argument(std::string_view arg, bool* ok);

}  // namespace bottega::http
