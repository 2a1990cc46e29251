#include "http/smtp_session.hpp"

#include <cctype>
#include <cstdint>
#include <utility>

namespace bottega::http {

namespace {

bool iequals_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string line(int code, std::string_view text) { return std::to_string(code) + " " + std::string(text) + "\r\n"; }

}  // namespace

std::string smtp_path_argument(std::string_view arg, bool* ok) {
  *ok = false;
  arg = trim(arg);
  if (arg.empty() || arg.front() != '<') return {};
  size_t gt = arg.find('>');
  if (gt == std::string_view::npos) return {};
  std::string_view path = arg.substr(1, gt - 1);
  if (!path.empty() && path.front() == '@') {  // obsolete source route
    size_t colon = path.find(':');
    if (colon == std::string_view::npos) return {};
    path = path.substr(colon + 1);
  }
  if (path.size() > 254) return {};
  for (char c : path)
    if (static_cast<unsigned char>(c) <= 0x20 || c == '<' || c == '>' || c == 0x7f) return {};
  if (!path.empty() && path.find('@') == std::string_view::npos) return {};
  *ok = true;
  return std::string(path);
}

SmtpSession::SmtpSession(SmtpSessionOptions opts) : opts_(std::move(opts)) {}

SmtpSession::Step SmtpSession::greeting() const {
  return {line(220, opts_.hostname + (opts_.lmtp ? " LMTP" : " ESMTP") + " Bottega ready"), Action::none};
}

void SmtpSession::reset_transaction() {
  from_.clear();
  pending_rcpt_.clear();
  data_.clear();
  rcpts_.clear();
  oversized_ = false;
  if (state_ != State::start) state_ = State::greeted;
}

SmtpSession::Step SmtpSession::error(std::string reply) {
  if (++errors_ >= opts_.max_errors) return {line(421, "4.7.0 too many errors, closing"), Action::close};
  return {std::move(reply), Action::none};
}

SmtpSession::Step SmtpSession::on_line_too_long() {
  if (state_ == State::data) {
    oversized_ = true;  // reported after the final "."
    return {"", Action::none};
  }
  return error(line(500, "5.5.2 line too long"));
}

SmtpSession::Step SmtpSession::on_line(std::string_view l) {
  if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  if (state_ == State::data) {
    if (l == ".") {
      if (oversized_) {
        reset_transaction();
        return {line(552, "5.3.4 message exceeds the size limit"), Action::none};
      }
      state_ = State::busy;
      return {"", Action::deliver};
    }
    if (!l.empty() && l.front() == '.') l.remove_prefix(1);  // dot-unstuffing
    if (!oversized_) {
      if (data_.size() + l.size() + 2 > opts_.max_message_bytes) {
        oversized_ = true;
        data_.clear();
        data_.shrink_to_fit();
      } else {
        data_.append(l);
        data_ += "\r\n";
      }
    }
    return {"", Action::none};
  }
  if (state_ == State::busy) return {line(451, "4.3.0 busy"), Action::none};

  std::string_view cmd = trim(l);
  if (iequals_prefix(cmd, "QUIT")) return {line(221, "2.0.0 bye"), Action::close};
  if (iequals_prefix(cmd, "NOOP")) return {line(250, "2.0.0 ok"), Action::none};
  if (iequals_prefix(cmd, "RSET")) {
    reset_transaction();
    return {line(250, "2.0.0 ok"), Action::none};
  }
  if (iequals_prefix(cmd, "VRFY")) return {line(252, "2.5.0 cannot verify, send some mail"), Action::none};
  if (iequals_prefix(cmd, "HELP")) return {line(214, "2.0.0 see RFC 5321"), Action::none};
  bool lhlo = iequals_prefix(cmd, "LHLO"), ehlo = iequals_prefix(cmd, "EHLO"), helo = iequals_prefix(cmd, "HELO");
  if (lhlo || ehlo || helo) {
    if (opts_.lmtp != lhlo) return error(line(500, opts_.lmtp ? "5.5.1 this is LMTP: use LHLO" : "5.5.1 use EHLO or HELO"));
    if (trim(cmd.substr(4)).empty()) return error(line(501, "5.5.4 a domain is required"));
    state_ = State::greeted;
    reset_transaction();
    if (helo) return {line(250, opts_.hostname), Action::none};
    std::string r = "250-" + opts_.hostname + "\r\n";
    r += "250-PIPELINING\r\n";
    r += "250-SIZE " + std::to_string(opts_.max_message_bytes) + "\r\n";
    r += "250-8BITMIME\r\n";
    r += "250-ENHANCEDSTATUSCODES\r\n";
    r += "250 SMTPUTF8\r\n";
    return {r, Action::none};
  }
  if (iequals_prefix(cmd, "STARTTLS")) return error(line(502, "5.5.1 STARTTLS is not offered here"));
  if (iequals_prefix(cmd, "AUTH")) return error(line(502, "5.5.1 AUTH is not offered here"));
  if (iequals_prefix(cmd, "MAIL FROM:")) {
    if (state_ == State::start) return error(line(503, opts_.lmtp ? "5.5.1 send LHLO first" : "5.5.1 send EHLO first"));
    if (state_ != State::greeted) return error(line(503, "5.5.1 nested MAIL command"));
    bool ok = false;
    std::string_view arg = cmd.substr(10);
    std::string path = smtp_path_argument(arg, &ok);
    if (!ok) return error(line(501, "5.1.7 bad sender address syntax"));
    // SIZE=n declared up front.
    std::string upper;
    for (char c : arg) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (size_t p = upper.find(" SIZE="); p != std::string::npos) {
      size_t declared = 0;
      for (size_t i = p + 6; i < upper.size() && std::isdigit(static_cast<unsigned char>(upper[i])); ++i)
        declared = declared > (SIZE_MAX / 10 - 10) ? SIZE_MAX / 2 : declared * 10 + static_cast<size_t>(upper[i] - '0');
      if (declared > opts_.max_message_bytes) return {line(552, "5.3.4 message size exceeds the limit"), Action::none};
    }
    from_ = path;
    state_ = State::mail;
    return {line(250, "2.1.0 sender ok"), Action::none};
  }
  if (iequals_prefix(cmd, "RCPT TO:")) {
    if (state_ != State::mail && state_ != State::rcpt) return error(line(503, "5.5.1 need MAIL before RCPT"));
    bool ok = false;
    std::string path = smtp_path_argument(cmd.substr(8), &ok);
    if (!ok || path.empty()) return error(line(501, "5.1.3 bad recipient address syntax"));
    if (rcpts_.size() >= opts_.max_recipients) return {line(452, "4.5.3 too many recipients"), Action::none};
    pending_rcpt_ = path;
    return {"", Action::check_recipient};
  }
  if (iequals_prefix(cmd, "DATA")) {
    if (state_ != State::rcpt || rcpts_.empty()) return error(line(503, "5.5.1 need RCPT before DATA"));
    state_ = State::data;
    data_.clear();
    oversized_ = false;
    return {line(354, "end data with <CR><LF>.<CR><LF>"), Action::none};
  }
  return error(line(500, "5.5.2 command not recognized"));
}

SmtpSession::Step SmtpSession::recipient_checked(bool accepted) {
  std::string r = pending_rcpt_;
  pending_rcpt_.clear();
  if (!accepted) return error(line(550, "5.1.1 no such mailbox here"));
  for (const auto& x : rcpts_)
    if (x == r) return {line(250, "2.1.5 recipient ok"), Action::none};
  rcpts_.push_back(std::move(r));
  state_ = State::rcpt;
  return {line(250, "2.1.5 recipient ok"), Action::none};
}

SmtpSession::Step SmtpSession::delivered(DeliveryResult result) {
  size_t n = opts_.lmtp ? rcpts_.size() : 1;
  std::string one = result == DeliveryResult::committed  ? line(250, "2.0.0 message accepted for delivery")
                    : result == DeliveryResult::deferred ? line(451, "4.3.0 temporary failure, try again later")
                                                         : line(554, "5.6.0 message refused: unreadable or too complex");
  std::string reply;
  for (size_t i = 0; i < n; ++i) reply += one;
  reset_transaction();
  state_ = State::greeted;
  return {reply, Action::none};
}

}  // namespace bottega::http
