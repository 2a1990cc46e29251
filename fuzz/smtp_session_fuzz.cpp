// The SMTP/LMTP server state machine on untrusted command streams. The first byte picks the
// protocol and what the host answers to recipient checks and deliveries; the rest is split into
// lines. Invariants: no crash; every reply is CRLF-terminated lines of a 3-digit code; nothing is
// acknowledged with 250 after DATA unless the host committed; the message never exceeds its limit.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "http/smtp_session.hpp"

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
void check_reply(const std::string& r) {
  size_t i = 0;
  while (i < r.size()) {
    size_t e = r.find("\r\n", i);
    check(e != std::string::npos && e - i >= 4);
    check(r[i] >= '2' && r[i] <= '5');
    for (size_t k = 1; k < 3; ++k) check(r[i + k] >= '0' && r[i + k] <= '9');
    check(r[i + 3] == ' ' || r[i + 3] == '-');
    i = e + 2;
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bottega::http;
  if (size == 0) return 0;
  uint8_t mode = data[0];
  SmtpSessionOptions o;
  o.lmtp = mode & 1;
  o.max_message_bytes = 64;
  o.max_recipients = 3;
  SmtpSession s(o);
  check_reply(s.greeting().reply);
  std::string in(reinterpret_cast<const char*>(data + 1), size - 1);
  size_t i = 0;
  while (i < in.size()) {
    size_t nl = in.find('\n', i);
    std::string line = in.substr(i, nl == std::string::npos ? std::string::npos : nl - i);
    i = nl == std::string::npos ? in.size() : nl + 1;
    auto step = line.size() > 200 ? s.on_line_too_long() : s.on_line(line);
    check_reply(step.reply);
    if (step.action == SmtpSession::Action::check_recipient) {
      check(!s.recipient().empty());
      step = s.recipient_checked(mode & 2);
      check_reply(step.reply);
    } else if (step.action == SmtpSession::Action::deliver) {
      check(s.message().size() <= 64 && !s.recipients().empty());
      DeliveryResult r = (mode & 4) ? DeliveryResult::committed : DeliveryResult::deferred;
      step = s.delivered(r);
      check_reply(step.reply);
      check(r == DeliveryResult::committed || step.reply.find("250") == std::string::npos);
    }
    if (step.action == SmtpSession::Action::close) break;
  }
  return 0;
}
