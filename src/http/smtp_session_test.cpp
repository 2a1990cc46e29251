// The SMTP/LMTP server state machine: command order, recipient checks, DATA with dot-unstuffing,
// size limits, per-recipient LMTP replies, and the 250 only after the host commits.
#include <gtest/gtest.h>

#include "http/client.hpp"
#include "http/smtp_client.hpp"
#include "http/smtp_session.hpp"

namespace bottega::http {
namespace {

using Action = SmtpSession::Action;

TEST(SmtpSession, HappyPathAnswers250OnlyAfterCommit) {
  SmtpSession s({});
  EXPECT_EQ(s.greeting().reply.substr(0, 4), "220 ");
  auto ehlo = s.on_line("EHLO client.example");
  EXPECT_NE(ehlo.reply.find("250-SIZE 10485760\r\n"), std::string::npos);
  EXPECT_EQ(s.on_line("MAIL FROM:<a@x.org> SIZE=100").reply.substr(0, 3), "250");
  auto rcpt = s.on_line("RCPT TO:<support@shop.example>");
  EXPECT_EQ(rcpt.action, Action::check_recipient);
  EXPECT_EQ(s.recipient(), "support@shop.example");
  EXPECT_EQ(s.recipient_checked(true).reply.substr(0, 3), "250");
  EXPECT_EQ(s.on_line("RCPT TO:<nobody@shop.example>").action, Action::check_recipient);
  EXPECT_EQ(s.recipient_checked(false).reply.substr(0, 3), "550");
  EXPECT_EQ(s.on_line("DATA").reply.substr(0, 3), "354");
  EXPECT_EQ(s.on_line("Subject: hi").reply, "");
  EXPECT_EQ(s.on_line("").reply, "");
  EXPECT_EQ(s.on_line("..leading dot").reply, "");
  auto end = s.on_line(".");
  EXPECT_EQ(end.action, Action::deliver);
  EXPECT_EQ(end.reply, "");  // nothing is acknowledged before the commit
  EXPECT_EQ(s.message(), "Subject: hi\r\n\r\n.leading dot\r\n");
  ASSERT_EQ(s.recipients().size(), 1u);
  EXPECT_EQ(s.mail_from(), "a@x.org");
  EXPECT_EQ(s.on_line("NOOP").reply.substr(0, 3), "451");  // busy until the host answers
  EXPECT_EQ(s.delivered(DeliveryResult::committed).reply.substr(0, 3), "250");
  EXPECT_EQ(s.on_line("QUIT").action, Action::close);
}

TEST(SmtpSession, DeferredAndRejectedDeliveries) {
  SmtpSession s({});
  s.on_line("HELO x");
  s.on_line("MAIL FROM:<>");
  s.on_line("RCPT TO:<a@b.c>");
  s.recipient_checked(true);
  s.on_line("DATA");
  s.on_line(".");
  EXPECT_EQ(s.delivered(DeliveryResult::deferred).reply.substr(0, 3), "451");
  s.on_line("MAIL FROM:<a@b.c>");
  s.on_line("RCPT TO:<a@b.c>");
  s.recipient_checked(true);
  s.on_line("DATA");
  s.on_line(".");
  EXPECT_EQ(s.delivered(DeliveryResult::rejected).reply.substr(0, 3), "554");
}

TEST(SmtpSession, CommandOrderIsEnforced) {
  SmtpSession s({});
  EXPECT_EQ(s.on_line("MAIL FROM:<a@b.c>").reply.substr(0, 3), "503");
  s.on_line("EHLO x");
  EXPECT_EQ(s.on_line("RCPT TO:<a@b.c>").reply.substr(0, 3), "503");
  EXPECT_EQ(s.on_line("DATA").reply.substr(0, 3), "503");
  EXPECT_EQ(s.on_line("MAIL FROM:a@b.c").reply.substr(0, 3), "501");
  EXPECT_EQ(s.on_line("MAIL FROM:<a@b.c>").reply.substr(0, 3), "250");
  EXPECT_EQ(s.on_line("MAIL FROM:<a@b.c>").reply.substr(0, 3), "503");
  EXPECT_EQ(s.on_line("DATA").reply.substr(0, 3), "503");  // no accepted recipient
  EXPECT_EQ(s.on_line("STARTTLS").reply.substr(0, 3), "502");
  EXPECT_EQ(s.on_line("BOGUS").reply.substr(0, 3), "500");
  EXPECT_EQ(s.on_line("RSET").reply.substr(0, 3), "250");
  EXPECT_EQ(s.on_line("RCPT TO:<a@b.c>").reply.substr(0, 3), "503");
}

TEST(SmtpSession, TooManyErrorsClose) {
  SmtpSessionOptions o;
  o.max_errors = 3;
  SmtpSession s(o);
  s.on_line("X");
  s.on_line("Y");
  auto last = s.on_line("Z");
  EXPECT_EQ(last.action, Action::close);
  EXPECT_EQ(last.reply.substr(0, 3), "421");
}

TEST(SmtpSession, SizeLimits) {
  SmtpSessionOptions o;
  o.max_message_bytes = 20;
  SmtpSession s(o);
  s.on_line("EHLO x");
  EXPECT_EQ(s.on_line("MAIL FROM:<a@b.c> SIZE=21").reply.substr(0, 3), "552");
  s.on_line("MAIL FROM:<a@b.c>");
  s.on_line("RCPT TO:<a@b.c>");
  s.recipient_checked(true);
  s.on_line("DATA");
  s.on_line("0123456789");
  s.on_line("0123456789");  // over the limit: dropped, refused at the end
  auto end = s.on_line(".");
  EXPECT_EQ(end.action, Action::none);
  EXPECT_EQ(end.reply.substr(0, 3), "552");
  // An over-long line inside DATA also refuses the message.
  s.on_line("MAIL FROM:<a@b.c>");
  s.on_line("RCPT TO:<a@b.c>");
  s.recipient_checked(true);
  s.on_line("DATA");
  s.on_line_too_long();
  EXPECT_EQ(s.on_line(".").reply.substr(0, 3), "552");
}

TEST(SmtpSession, RecipientCap) {
  SmtpSessionOptions o;
  o.max_recipients = 1;
  SmtpSession s(o);
  s.on_line("EHLO x");
  s.on_line("MAIL FROM:<a@b.c>");
  s.on_line("RCPT TO:<a@b.c>");
  s.recipient_checked(true);
  EXPECT_EQ(s.on_line("RCPT TO:<d@b.c>").reply.substr(0, 3), "452");
}

TEST(SmtpSession, LmtpAnswersOncePerRecipient) {
  SmtpSessionOptions o;
  o.lmtp = true;
  SmtpSession s(o);
  EXPECT_EQ(s.on_line("EHLO x").reply.substr(0, 3), "500");
  EXPECT_EQ(s.on_line("LHLO x").reply.substr(0, 4), "250-");
  s.on_line("MAIL FROM:<a@b.c>");
  s.on_line("RCPT TO:<one@shop.example>");
  s.recipient_checked(true);
  s.on_line("RCPT TO:<two@shop.example>");
  s.recipient_checked(true);
  s.on_line("DATA");
  s.on_line("x");
  EXPECT_EQ(s.on_line(".").action, Action::deliver);
  EXPECT_EQ(s.delivered(DeliveryResult::committed).reply,
            "250 2.0.0 message accepted for delivery\r\n250 2.0.0 message accepted for delivery\r\n");
}

TEST(SmtpSession, PathArguments) {
  bool ok = false;
  EXPECT_EQ(smtp_path_argument("<a@b.c> BODY=8BITMIME", &ok), "a@b.c");
  EXPECT_TRUE(ok);
  EXPECT_EQ(smtp_path_argument("<>", &ok), "");
  EXPECT_TRUE(ok);
  EXPECT_EQ(smtp_path_argument("<@relay.example:a@b.c>", &ok), "a@b.c");
  EXPECT_TRUE(ok);
  smtp_path_argument("<a b@c>", &ok);
  EXPECT_FALSE(ok);
  smtp_path_argument("<noat>", &ok);
  EXPECT_FALSE(ok);
}

TEST(SmtpClient, DotStuffing) {
  EXPECT_EQ(smtp_dot_stuff("a\r\n.b\n..c"), "a\r\n..b\r\n...c\r\n.\r\n");
  EXPECT_EQ(smtp_dot_stuff("x\r\n"), "x\r\n.\r\n");
}

}  // namespace
}  // namespace bottega::http
