// The email channel on the real binary: mail delivered by swaks (Debian's SMTP test client) into
// Bottega's SMTP and LMTP listener, and agent replies relayed to a small SMTP sink in this file
// that records what Bottega sent (AUTH, envelope, headers; optionally over STARTTLS with a
// throwaway CA). Checks threading round trips: customer mail -> agent reply -> customer reply in
// the same conversation.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "core/crypto.hpp"
#include "harness.hpp"

namespace e2e {
namespace {

namespace fs = std::filesystem;

// ---- a minimal SMTP relay that records what it is sent -------------------------------------

class SmtpSink {
 public:
  struct Mail {
    std::string auth_user, auth_pass, mail_from;
    std::vector<std::string> rcpts;
    std::string data;
    bool tls = false;
  };

  // With a certificate and key, STARTTLS is offered.
  explicit SmtpSink(std::string cert = "", std::string key = "") {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 8) != 0)
      throw std::runtime_error("sink: bind/listen failed");
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    if (!cert.empty()) {
      ctx_ = SSL_CTX_new(TLS_server_method());
      if (SSL_CTX_use_certificate_file(ctx_, cert.c_str(), SSL_FILETYPE_PEM) != 1 ||
          SSL_CTX_use_PrivateKey_file(ctx_, key.c_str(), SSL_FILETYPE_PEM) != 1)
        throw std::runtime_error("sink: cannot load the test certificate");
    }
    thread_ = std::thread([this] { loop(); });
  }
  ~SmtpSink() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
    if (ctx_) SSL_CTX_free(ctx_);
  }
  uint16_t port() const { return port_; }
  std::vector<Mail> mails() {
    std::lock_guard lk(mu_);
    return mails_;
  }
  // The next `n` messages are refused with this reply after DATA.
  void refuse_next(int n, std::string reply) {
    std::lock_guard lk(mu_);
    refuse_ = n;
    refusal_ = std::move(reply);
  }

 private:
  struct Conn {
    int fd = -1;
    SSL* ssl = nullptr;
    std::string buf;
    bool write(const std::string& s) {
      if (ssl) return SSL_write(ssl, s.data(), static_cast<int>(s.size())) > 0;
      return ::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
    }
    bool line(std::string& out) {
      for (;;) {
        size_t nl = buf.find('\n');
        if (nl != std::string::npos) {
          out = buf.substr(0, nl);
          buf.erase(0, nl + 1);
          if (!out.empty() && out.back() == '\r') out.pop_back();
          return true;
        }
        pollfd p{fd, POLLIN, 0};
        if (!ssl || SSL_pending(ssl) == 0)
          if (::poll(&p, 1, 10000) <= 0) return false;
        char tmp[4096];
        int n = ssl ? SSL_read(ssl, tmp, sizeof tmp) : static_cast<int>(::recv(fd, tmp, sizeof tmp, 0));
        if (n <= 0) return false;
        buf.append(tmp, static_cast<size_t>(n));
      }
    }
  };

  void loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      serve(c);
      ::close(c);
    }
  }

  void serve(int fd) {
    Conn c;
    c.fd = fd;
    Mail m;
    std::string l;
    c.write("220 sink.test ESMTP\r\n");
    while (c.line(l)) {
      std::string up = l.substr(0, std::min<size_t>(l.size(), 10));
      for (char& ch : up) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      if (up.rfind("EHLO", 0) == 0) {
        std::string r = "250-sink.test\r\n";
        if (ctx_ && !c.ssl) r += "250-STARTTLS\r\n";
        r += "250-AUTH LOGIN PLAIN\r\n250 8BITMIME\r\n";
        c.write(r);
      } else if (up.rfind("STARTTLS", 0) == 0 && ctx_) {
        c.write("220 2.0.0 go ahead\r\n");
        c.ssl = SSL_new(ctx_);
        SSL_set_fd(c.ssl, fd);
        if (SSL_accept(c.ssl) != 1) break;
        m.tls = true;
        c.buf.clear();
      } else if (up.rfind("AUTH PLAIN", 0) == 0) {
        auto raw = bottega::crypto::unbase64(l.substr(11)).value_or("");
        size_t a = raw.find('\0'), b = raw.find('\0', a + 1);
        if (a != std::string::npos && b != std::string::npos) {
          m.auth_user = raw.substr(a + 1, b - a - 1);
          m.auth_pass = raw.substr(b + 1);
        }
        c.write("235 2.7.0 ok\r\n");
      } else if (up.rfind("AUTH LOGIN", 0) == 0) {
        c.write("334 VXNlcm5hbWU6\r\n");
        if (!c.line(l)) break;
        m.auth_user = bottega::crypto::unbase64(l).value_or("");
        c.write("334 UGFzc3dvcmQ6\r\n");
        if (!c.line(l)) break;
        m.auth_pass = bottega::crypto::unbase64(l).value_or("");
        c.write("235 2.7.0 ok\r\n");
      } else if (up.rfind("MAIL FROM:", 0) == 0) {
        m.mail_from = l.substr(l.find('<') + 1, l.find('>') - l.find('<') - 1);
        c.write("250 ok\r\n");
      } else if (up.rfind("RCPT TO:", 0) == 0) {
        m.rcpts.push_back(l.substr(l.find('<') + 1, l.find('>') - l.find('<') - 1));
        c.write("250 ok\r\n");
      } else if (up.rfind("DATA", 0) == 0) {
        c.write("354 go\r\n");
        std::string data;
        while (c.line(l) && l != ".") data += (l.rfind(".", 0) == 0 ? l.substr(1) : l) + "\r\n";
        m.data = data;
        std::string reply = "250 2.0.0 queued\r\n";
        {
          std::lock_guard lk(mu_);
          if (refuse_ > 0) {
            --refuse_;
            reply = refusal_ + "\r\n";
          } else {
            mails_.push_back(m);
          }
        }
        c.write(reply);
        m.rcpts.clear();
      } else if (up.rfind("QUIT", 0) == 0) {
        c.write("221 bye\r\n");
        break;
      } else {
        c.write("250 ok\r\n");
      }
    }
    if (c.ssl) {
      SSL_shutdown(c.ssl);
      SSL_free(c.ssl);
    }
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  SSL_CTX* ctx_ = nullptr;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<Mail> mails_;
  int refuse_ = 0;
  std::string refusal_;
  std::thread thread_;
};

// ---- helpers -------------------------------------------------------------------------------

// A free local port for the email listener (bound once to check, below the ephemeral range when
// there is room, like the harness's own choice).
uint16_t unused_port() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    uint16_t want = static_cast<uint16_t>(20000 + std::stoul(random_hex(2), nullptr, 16) % 10000);
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(want);
    bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (ok) return want;
  }
  throw std::runtime_error("no free port for the email listener");
}

struct Cmd {
  int status = -1;
  std::string out;
};

Cmd run(const std::string& cmd) {
  Cmd r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// The header's value in a raw message (first occurrence, unfolded), or "".
std::string header_of(const std::string& data, const std::string& name) {
  std::string head = data.substr(0, data.find("\r\n\r\n"));
  std::string lname = name + ":";
  size_t pos = 0;
  while (pos < head.size()) {
    size_t eol = head.find("\r\n", pos);
    std::string line = head.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
    if (line.size() >= lname.size() && strncasecmp(line.c_str(), lname.c_str(), lname.size()) == 0) {
      std::string v = line.substr(lname.size());
      size_t next = eol == std::string::npos ? head.size() : eol + 2;
      while (next < head.size() && (head[next] == ' ' || head[next] == '\t')) {
        size_t e2 = head.find("\r\n", next);
        v += " " + head.substr(next + 1, e2 == std::string::npos ? std::string::npos : e2 - next - 1);
        next = e2 == std::string::npos ? head.size() : e2 + 2;
      }
      while (!v.empty() && v.front() == ' ') v.erase(0, 1);
      return v;
    }
    if (eol == std::string::npos) break;
    pos = eol + 2;
  }
  return "";
}

// ---- a private Postfix instance (Debian's postfix package) ---------------------------------
//
// Its own configuration, queue and data directories in a temp dir; smtpd on a loopback port;
// transport_maps send shop.test to Bottega's listener over LMTP and customer.test to a sink.
// Postfix's master runs only as root (its servers then drop to the postfix user), so the test
// needs root and the package; scripts/deps.sh installs it for `make test` when no other mail
// server is installed.
class Postfix {
 public:
  static std::string unavailable() {
    if (::geteuid() != 0) return "Postfix's master runs only as root";
    if (!fs::exists("/usr/sbin/postfix")) return "the postfix package is not installed (scripts/deps.sh test)";
    if (run("id -u postfix && getent group postdrop").status != 0) return "no postfix user or postdrop group";
    return "";
  }
  Postfix(uint16_t lmtp_port, uint16_t sink_port) {
    dir_ = fs::temp_directory_path() / ("bottega-postfix-" + random_hex(4));
    fs::create_directories(dir_ / "etc");
    fs::create_directories(dir_ / "spool");
    fs::create_directories(dir_ / "data");
    // The postfix user must reach its configuration and queue.
    fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
    port_ = unused_port();
    std::string d = dir_.string();
    std::ofstream(dir_ / "etc" / "main.cf")
        << "compatibility_level = 3.6\n"
        << "queue_directory = " << d << "/spool\ndata_directory = " << d << "/data\n"
        << "mail_owner = postfix\nsetgid_group = postdrop\n"
        << "inet_interfaces = 127.0.0.1\ninet_protocols = ipv4\n"
        << "myhostname = relay.postfix.test\nmydestination =\nalias_maps =\nalias_database =\n"
        << "local_recipient_maps =\nmynetworks = 127.0.0.0/8\nrelay_domains = shop.test\n"
        << "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n"
        << "transport_maps = inline:{ shop.test=lmtp:inet:127.0.0.1:" << lmtp_port
        << ", customer.test=smtp:[127.0.0.1]:" << sink_port << " }\n"
        << "smtp_dns_support_level = disabled\n"
        << "queue_run_delay = 1s\nminimal_backoff_time = 1s\nmaximal_backoff_time = 2s\n"
        << "maillog_file = /dev/stdout\n";
    std::ofstream(dir_ / "etc" / "master.cf")
        << "127.0.0.1:" << port_ << " inet n - n - - smtpd\n"
        << "pickup unix n - n 60 1 pickup\ncleanup unix n - n - 0 cleanup\nqmgr unix n - n 300 1 qmgr\n"
        << "rewrite unix - - n - - trivial-rewrite\nbounce unix - - n - 0 bounce\n"
        << "defer unix - - n - 0 bounce\ntrace unix - - n - 0 bounce\nverify unix - - n - 1 verify\n"
        << "proxymap unix - - n - - proxymap\nsmtp unix - - n - - smtp\nrelay unix - - n - - smtp\n"
        << "showq unix n - n - - showq\nerror unix - - n - - error\nretry unix - - n - - error\n"
        << "discard unix - - n - - discard\nlmtp unix - - n - - lmtp\nanvil unix - - n - 1 anvil\n"
        << "scache unix - - n - 1 scache\npostlog unix-dgram n - n - 1 postlogd\n";
    auto made = run("chown postfix " + shell_quote(d + "/data") + " && postfix -c " + shell_quote(d + "/etc") +
                    " post-install create-missing");
    if (made.status != 0) throw std::runtime_error("postfix post-install: " + made.out);
    // start-fg keeps the master attached to this shell (logging to stdout, read back by log()).
    auto started = run("(postfix -c " + shell_quote(d + "/etc") + " start-fg >" + shell_quote(d + "/postfix.log") +
                       " 2>&1 &)");
    if (started.status != 0) throw std::runtime_error("postfix start-fg: " + started.out);
    bool up = eventually(
        [&] {
          int fd = ::socket(AF_INET, SOCK_STREAM, 0);
          sockaddr_in a{};
          a.sin_family = AF_INET;
          a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
          a.sin_port = htons(port_);
          bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
          ::close(fd);
          return ok;
        },
        60s);
    if (!up) throw std::runtime_error("postfix did not listen: " + log());
  }
  ~Postfix() {
    std::string etc = shell_quote((dir_ / "etc").string());
    run("postfix -c " + etc + " stop");
    // stop signals the master; its servers take a moment to leave the directory.
    eventually([&] { return run("postfix -c " + etc + " status").status != 0; }, 15s);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  uint16_t port() const { return port_; }
  std::string log() const {
    std::ifstream f(dir_ / "postfix.log");
    return std::string(std::istreambuf_iterator<char>(f), {});
  }

 private:
  fs::path dir_;
  uint16_t port_ = 0;
};

class Email : public ::testing::Test {
 protected:
  void boot(const std::string& protocol = "smtp", const std::string& extra = "") {
    smtp_port = unused_port();
    ProcessOptions o;
    o.extra_toml = "[email]\nlisten = \"127.0.0.1:" + std::to_string(smtp_port) + "\"\nprotocol = \"" + protocol +
                   "\"\nhostname = \"mx.shop.test\"\n" + extra;
    srv = std::make_unique<BottegaProcess>(o);
    shop = srv->create_tenant("Mail shop");
    srv->start();
  }
  std::string create_channel(const bj::object& settings, int want = 201) {
    auto r = srv->post("/api/v1/channels", bj::object{{"type", "email"}, {"name", "Support"}, {"settings", settings}},
                       bearer(shop.token));
    if (r.status != want) throw std::runtime_error("POST /api/v1/channels: " + r.describe());
    return want == 201 ? str(r.json(), "id") : r.error_code();
  }
  // Sends a whole message with swaks (to Bottega's listener, or to `port`); returns its transcript
  // and exit status.
  Cmd swaks(const std::string& to, const std::string& data, const std::string& extra = "", uint16_t port = 0) {
    fs::path f = fs::path(srv->dir()) / ("mail-" + random_hex(4) + ".eml");
    std::ofstream(f, std::ios::binary) << data;
    return run("swaks --server 127.0.0.1:" + std::to_string(port ? port : smtp_port) +
               " --helo client.test --from ana@customer.test --to " +
               shell_quote(to) + " --data @" + f.string() + " " + extra);
  }
  std::vector<bj::value> conversations() { return list_all(*srv, "/api/v1/conversations", bearer(shop.token)); }
  std::vector<bj::value> messages(const std::string& conv) {
    return list_all(*srv, "/api/v1/conversations/" + conv + "/messages", bearer(shop.token));
  }

  uint16_t smtp_port = 0;
  std::unique_ptr<BottegaProcess> srv;
  Tenant shop;
};

std::string customer_mail(const std::string& id, const std::string& subject, const std::string& body,
                          const std::string& extra = "") {
  return "From: =?UTF-8?Q?Ana_Mar=C3=ADa?= <ana@customer.test>\r\nTo: support@shop.test\r\nSubject: " + subject +
         "\r\nMessage-ID: <" + id + ">\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n" + extra +
         "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n";
}

TEST_F(Email, SwaksMailBecomesAConversationAndTheReplyThreadsRoundTrip) {
  SmtpSink sink;
  boot();
  std::string channel = create_channel(bj::object{{"address", "support@shop.test"},
                                                  {"from_name", "Shop Support"},
                                                  {"smtp_host", "127.0.0.1"},
                                                  {"smtp_port", static_cast<int>(sink.port())},
                                                  {"smtp_username", "relay-user"},
                                                  {"smtp_password", "relay-secret"},
                                                  {"smtp_tls", "none"}});
  // The relay password is write-only.
  auto ch = srv->get("/api/v1/channels/" + channel, bearer(shop.token));
  EXPECT_EQ(str(ch.json(), "settings.smtp_password"), "********");
  EXPECT_EQ(ch.body.find("relay-secret"), std::string::npos);
  // Another channel (even of another tenant) cannot claim the same address.
  EXPECT_EQ(create_channel(bj::object{{"address", "SUPPORT@shop.test"}}, 409), "address_taken");

  auto sent = swaks("support@shop.test",
                    customer_mail("m1@customer.test", "Where is my order?",
                                  "Hi, order 1042 has not arrived.\r\n\r\n-- \r\nAna\r\n"));
  ASSERT_EQ(sent.status, 0) << sent.out;
  EXPECT_NE(sent.out.find("250 2.0.0 message accepted"), std::string::npos) << sent.out;
  // 250 came after the commit: the conversation is there at once, with the subject.
  auto convs = conversations();
  ASSERT_EQ(convs.size(), 1u);
  std::string conv = str(convs[0], "id");
  EXPECT_EQ(str(convs[0], "subject"), "Where is my order?");
  EXPECT_EQ(str(convs[0], "channel_type"), "email");
  auto msgs = messages(conv);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(str(msgs[0], "text"), "Hi, order 1042 has not arrived.");
  EXPECT_EQ(str(msgs[0], "content.email.from.name"), "Ana María");

  // The same Message-ID again (a sender retrying) is acknowledged and stored once.
  auto again = swaks("support@shop.test", customer_mail("m1@customer.test", "Where is my order?", "retry"));
  ASSERT_EQ(again.status, 0) << again.out;
  EXPECT_EQ(messages(conv).size(), 1u);

  // Unknown recipients are refused at RCPT.
  auto unknown = swaks("nobody@shop.test", customer_mail("m9@customer.test", "x", "y"));
  EXPECT_NE(unknown.status, 0);
  EXPECT_NE(unknown.out.find("550 5.1.1"), std::string::npos) << unknown.out;

  // The agent answers; the job relays it with AUTH and threading headers.
  auto reply = srv->post("/api/v1/conversations/" + conv + "/messages", bj::object{{"text", "It ships today.\nBest, Bob"}},
                         bearer(shop.token));
  ASSERT_EQ(reply.status, 201) << reply.describe();
  std::string reply_id = str(reply.json(), "id");
  ASSERT_TRUE(eventually([&] { return sink.mails().size() == 1; }, 15s)) << srv->server_output();
  auto mail = sink.mails()[0];
  EXPECT_EQ(mail.auth_user, "relay-user");
  EXPECT_EQ(mail.auth_pass, "relay-secret");
  EXPECT_EQ(mail.mail_from, "support@shop.test");
  ASSERT_EQ(mail.rcpts.size(), 1u);
  EXPECT_EQ(mail.rcpts[0], "ana@customer.test");
  EXPECT_EQ(header_of(mail.data, "In-Reply-To"), "<m1@customer.test>");
  EXPECT_EQ(header_of(mail.data, "References"), "<m1@customer.test>");
  EXPECT_EQ(header_of(mail.data, "Subject"), "Re: Where is my order?");
  EXPECT_EQ(header_of(mail.data, "Reply-To"), "support+" + conv + "@shop.test");
  EXPECT_EQ(header_of(mail.data, "From"), "\"Shop Support\" <support@shop.test>");
  std::string our_id = header_of(mail.data, "Message-ID");
  EXPECT_EQ(our_id, "<" + reply_id + "." + conv + "@shop.test>");
  EXPECT_NE(mail.data.find("It ships today.\r\nBest, Bob"), std::string::npos) << mail.data;
  ASSERT_TRUE(eventually([&] {
    for (const auto& m : messages(conv))
      if (str(m, "id") == reply_id) return str(m, "delivery.state") == "sent";
    return false;
  }, 10s));

  // The customer's answer (In-Reply-To our Message-ID, quoting us) lands in the same conversation.
  auto answer = swaks("support@shop.test",
                      customer_mail("m2@customer.test", "Re: Where is my order?",
                                    "Great, thanks!\r\n\r\nOn Sun, Shop Support wrote:\r\n> It ships today.\r\n",
                                    "In-Reply-To: " + our_id + "\r\nReferences: <m1@customer.test> " + our_id + "\r\n"));
  ASSERT_EQ(answer.status, 0) << answer.out;
  EXPECT_EQ(conversations().size(), 1u);
  msgs = messages(conv);
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(str(msgs[2], "text"), "Great, thanks!");

  // A reply to the +token address without threading headers also finds the conversation.
  auto by_token = swaks("support+" + conv + "@shop.test", customer_mail("m3@customer.test", "new subject", "one more thing"));
  ASSERT_EQ(by_token.status, 0) << by_token.out;
  EXPECT_EQ(messages(conv).size(), 4u);
  EXPECT_EQ(conversations().size(), 1u);

  // An auto-reply is stored, flagged, and never answered (nothing more reaches the relay).
  auto ooo = swaks("support@shop.test", customer_mail("m4@customer.test", "Out of office", "I am away until Monday.",
                                                      "Auto-Submitted: auto-replied\r\n"));
  ASSERT_EQ(ooo.status, 0) << ooo.out;
  convs = conversations();
  ASSERT_EQ(convs.size(), 2u);
  std::string ooo_conv = str(convs[0], "subject") == "Out of office" ? str(convs[0], "id") : str(convs[1], "id");
  auto ooo_msgs = messages(ooo_conv);
  ASSERT_EQ(ooo_msgs.size(), 1u);
  EXPECT_EQ(str(ooo_msgs[0], "content.automated"), "auto-replied");
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(sink.mails().size(), 1u);
}

// An agent's files reach the customer as MIME parts: the relayed mail, read back by Python's
// email package (an independent MIME parser), is multipart/mixed with the caption as text/plain
// and each file base64 with its type and name (a UTF-8 name through RFC 2231), byte for byte.
TEST_F(Email, AnAgentsFilesAreAttachedAsMimeParts) {
  SmtpSink sink;
  boot();
  create_channel(bj::object{{"address", "support@shop.test"}, {"smtp_host", "127.0.0.1"},
                            {"smtp_port", static_cast<int>(sink.port())}, {"smtp_tls", "none"}});
  auto sent = swaks("support@shop.test", customer_mail("f1@customer.test", "Invoice please", "Can I have the invoice?"));
  ASSERT_EQ(sent.status, 0) << sent.out;
  std::string conv = str(conversations().at(0), "id");
  const std::string png = std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16) + std::string(300, '\xab');
  const std::string pdf = "%PDF-1.4\n" + std::string(200, 'z') + "\n%%EOF\n";
  auto up = [&](const std::string& bytes, const std::string& type, const std::string& query_name) {
    auto r = srv->request("POST", "/api/v1/media?filename=" + query_name, bytes,
                          bearer(shop.token) + Headers{{"Content-Type", type}});
    if (r.status != 201) throw std::runtime_error(r.describe());
    return str(r.json(), "id");
  };
  std::string a = up(png, "image/png", "photo.png"), b = up(pdf, "application/pdf", "Fattura%20n%C2%B07.pdf");
  auto reply = srv->post("/api/v1/conversations/" + conv + "/messages",
                         bj::object{{"kind", "attachment"}, {"text", "Here you are"},
                                    {"content", bj::object{{"attachments", bj::array{bj::object{{"media_id", a}},
                                                                                      bj::object{{"media_id", b}}}}}}},
                         bearer(shop.token));
  ASSERT_EQ(reply.status, 201) << reply.describe();
  ASSERT_TRUE(eventually([&] { return sink.mails().size() == 1; }, 15s)) << srv->server_output();
  std::string data = sink.mails()[0].data;
  fs::path f = fs::path(srv->dir()) / "attached.eml";
  std::ofstream(f, std::ios::binary) << data;
  auto parsed = run("python3 -c " + shell_quote(
      "import email,email.policy,hashlib,json,sys\n"
      "m=email.message_from_binary_file(open(sys.argv[1],'rb'),policy=email.policy.default)\n"
      "out={'type':m.get_content_type(),'parts':[]}\n"
      "for p in m.iter_parts():\n"
      "  b=p.get_payload(decode=True)\n"
      "  out['parts'].append({'type':p.get_content_type(),'filename':p.get_filename() or '',"
      "'disposition':p.get_content_disposition() or '','sha256':hashlib.sha256(b).hexdigest(),"
      "'text':p.get_content() if p.get_content_maintype()=='text' else ''})\n"
      "print(json.dumps(out))\n") + " " + f.string());
  ASSERT_EQ(parsed.status, 0) << parsed.out;
  auto j = parse_json(parsed.out);
  EXPECT_EQ(str(j, "type"), "multipart/mixed") << data;
  auto parts = arr(j, "parts");
  ASSERT_EQ(parts.size(), 3u) << data;
  EXPECT_EQ(str(parts[0], "type"), "text/plain");
  EXPECT_NE(str(parts[0], "text").find("Here you are"), std::string::npos);
  EXPECT_EQ(str(parts[1], "type"), "image/png");
  EXPECT_EQ(str(parts[1], "filename"), "photo.png");
  EXPECT_EQ(str(parts[1], "disposition"), "attachment");
  EXPECT_EQ(str(parts[1], "sha256"), bottega::crypto::hex(bottega::crypto::sha256(png)));
  EXPECT_EQ(str(parts[2], "type"), "application/pdf");
  EXPECT_EQ(str(parts[2], "filename"), "Fattura n°7.pdf") << data;
  EXPECT_EQ(str(parts[2], "sha256"), bottega::crypto::hex(bottega::crypto::sha256(pdf)));
  EXPECT_NE(data.find("filename*=UTF-8''Fattura%20n%C2%B07.pdf"), std::string::npos) << data;
  // Threading headers are those of any reply.
  EXPECT_EQ(header_of(data, "In-Reply-To"), "<f1@customer.test>");
}

// The code in a verification mail ("Your code is 123456."), or "".
std::string code_in(const std::string& data) {
  auto at = data.find("code is ");
  return at == std::string::npos || at + 14 > data.size() ? "" : data.substr(at + 8, 6);
}

// Identity across channels on the real binary: a sender the trusted MTA proved (its
// Authentication-Results header) and a web chat visitor who typed the code mailed to the same
// address become one contact; a new browser gets its earlier conversations back the same way.
TEST_F(Email, AVerifiedSenderAndAVisitorWhoProvesTheAddressBecomeOneContact) {
  SmtpSink sink;
  boot();
  create_channel(bj::object{{"address", "support@shop.test"},
                            {"smtp_host", "127.0.0.1"},
                            {"smtp_port", static_cast<int>(sink.port())},
                            {"smtp_tls", "none"},
                            {"trusted_authserv_id", "mx.shop.test"}});
  std::string web = create_webchat_channel(*srv, shop.token, "Web");
  auto tok = [](const Visitor& v) { return Headers{{"X-Visitor-Token", v.token}}; };
  auto contact_of_conv = [&](const std::string& subject) {
    for (const auto& c : conversations())
      if (str(c, "subject") == subject) return str(c, "contact.id");
    return std::string();
  };

  // 1. A mail whose sender the MTA did NOT prove: its contact is not verified.
  ASSERT_EQ(swaks("support@shop.test", customer_mail("u1@customer.test", "Unproven", "hello",
                                                     "Authentication-Results: mx.shop.test; dmarc=fail header.from=customer.test\r\n"))
                .status,
            0);
  // 2. A new sender address, proven (DMARC pass from the trusted MTA).
  std::string proven =
      "From: Bea <bea@proven.test>\r\nTo: support@shop.test\r\nSubject: Proven\r\nMessage-ID: <p1@proven.test>\r\n"
      "Authentication-Results: mx.shop.test; dkim=pass header.d=proven.test; dmarc=pass header.from=proven.test\r\n"
      "Content-Type: text/plain\r\n\r\nWhere is my parcel?\r\n";
  ASSERT_EQ(swaks("support@shop.test", proven).status, 0);
  std::string mail_contact = contact_of_conv("Proven");
  ASSERT_FALSE(mail_contact.empty());
  std::string proven_conv;
  for (const auto& c : conversations())
    if (str(c, "subject") == "Proven") proven_conv = str(c, "id");
  const bj::value* from_verified = find(messages(proven_conv)[0], "content.email.from_verified");
  ASSERT_TRUE(from_verified && from_verified->is_bool() && from_verified->as_bool());

  // 3. Bea chats on the website, asks for a code for her address and types it.
  Visitor bea = create_visitor(*srv, web, "Bea");
  ASSERT_EQ(srv->post("/api/v1/webchat/" + web + "/messages", bj::object{{"text", "hi from the site"}}, tok(bea)).status, 201);
  // Bad input first: changes nothing.
  EXPECT_EQ(srv->post("/api/v1/webchat/" + web + "/email-verification", bj::object{{"email", "nope"}}, tok(bea)).error_field(),
            "email");
  EXPECT_EQ(srv->post("/api/v1/webchat/" + web + "/email-verification", bj::object{{"email", "bea@proven.test"}}).status, 401);
  EXPECT_EQ(srv->post("/api/v1/webchat/" + web + "/email-verification/confirm", bj::object{{"code", "123456"}}, tok(bea))
                .error_code(),
            "no_pending_verification");
  // Bea's chat socket is open while she verifies.
  WsClient ws;
  ASSERT_TRUE(ws.connect(srv->port(), "/api/v1/webchat/" + web + "/realtime?visitor_token=" + bea.token));
  ASSERT_TRUE(ws.read_until(is_type("ready"), 15s));
  auto started = srv->post("/api/v1/webchat/" + web + "/email-verification", bj::object{{"email", "Bea@Proven.test"}}, tok(bea));
  ASSERT_EQ(started.status, 202) << started.describe();
  EXPECT_EQ(str(started.json(), "email"), "bea@proven.test");
  ASSERT_TRUE(eventually([&] { return sink.mails().size() == 1; }, 20s)) << srv->server_output();
  auto mail = sink.mails()[0];
  ASSERT_EQ(mail.rcpts, std::vector<std::string>{"bea@proven.test"});
  std::string code = code_in(mail.data);
  ASSERT_EQ(code.size(), 6u) << mail.data;
  std::string wrong = code == "000000" ? "111111" : "000000";
  auto w = srv->post("/api/v1/webchat/" + web + "/email-verification/confirm", bj::object{{"code", wrong}}, tok(bea));
  EXPECT_EQ(w.status, 400);
  EXPECT_EQ(w.error_code(), "wrong_code");
  EXPECT_EQ(w.error_field(), "code");
  auto ok = srv->post("/api/v1/webchat/" + web + "/email-verification/confirm", bj::object{{"code", code}}, tok(bea));
  ASSERT_EQ(ok.status, 200) << ok.describe();
  EXPECT_EQ(str(ok.json(), "contact_id"), mail_contact);
  const bj::value* merged = find(ok.json(), "merged");
  EXPECT_TRUE(merged && merged->is_bool() && merged->as_bool());

  // One contact with both identities; each conversation keeps its channel.
  auto contact = srv->get("/api/v1/contacts/" + mail_contact, bearer(shop.token));
  ASSERT_EQ(contact.status, 200);
  std::set<std::string> types;
  for (const auto& i : arr(contact.json(), "identities")) types.insert(str(i, "channel_type"));
  EXPECT_EQ(types, (std::set<std::string>{"email", "webchat"}));
  std::string web_conv;
  for (const auto& c : conversations()) {
    if (str(c, "channel_type") == "webchat") web_conv = str(c, "id");
    if (str(c, "id") == proven_conv || str(c, "channel_type") == "webchat") {
      EXPECT_EQ(str(c, "contact.id"), mail_contact);
    }
  }
  ASSERT_FALSE(web_conv.empty());
  EXPECT_NE(contact_of_conv("Unproven"), mail_contact);
  // Her socket was following the merged-away contact: it is closed, and a new one follows the kept
  // contact (the widget reconnects from its cursor).
  ASSERT_TRUE(eventually([&] { return ws.ended(); }, 15s));
  EXPECT_NE(ws.end_reason().find("contact_merged"), std::string::npos) << ws.end_reason();
  // The visitor still sees only the web chat conversation, and goes on writing into it.
  ASSERT_EQ(srv->post("/api/v1/webchat/" + web + "/messages", bj::object{{"text", "still here"}}, tok(bea)).status, 201);
  auto hist = srv->get("/api/v1/webchat/" + web + "/messages", tok(bea));
  ASSERT_EQ(hist.status, 200);
  std::vector<std::string> texts;
  for (const auto& m : arr(hist.json(), "data")) texts.push_back(str(m, "text"));
  EXPECT_EQ(texts, (std::vector<std::string>{"hi from the site", "still here"}));
  // An agent's reply in the web chat conversation reaches the visitor; one in the email
  // conversation goes out by mail, not into the chat.
  ASSERT_EQ(srv->post("/api/v1/conversations/" + proven_conv + "/messages", bj::object{{"text", "by mail"}}, bearer(shop.token))
                .status,
            201);
  ASSERT_TRUE(eventually([&] { return sink.mails().size() == 2; }, 20s));
  EXPECT_EQ(sink.mails()[1].rcpts, std::vector<std::string>{"bea@proven.test"});
  // Replayed from the start, the visitor's stream carries the kept contact's web chat messages only.
  WsClient replay;
  ASSERT_TRUE(replay.connect(srv->port(), "/api/v1/webchat/" + web + "/realtime?visitor_token=" + bea.token + "&cursor=0"));
  std::vector<bj::value> seen;
  ASSERT_TRUE(replay.read_until(is_type("ready"), 15s, &seen));
  std::vector<std::string> streamed;
  for (const auto& f : seen)
    if (str(f, "type") == "message.created") streamed.push_back(str(f, "data.text"));
  EXPECT_EQ(streamed, (std::vector<std::string>{"still here"}));  // not the mail, not the agent's mail reply

  // 4. Bea on a new browser: a new visitor. Proving the address brings the earlier chat back.
  Visitor again = create_visitor(*srv, web);
  EXPECT_TRUE(arr(srv->get("/api/v1/webchat/" + web + "/messages", tok(again)).json(), "data").empty());
  ASSERT_EQ(srv->post("/api/v1/webchat/" + web + "/email-verification", bj::object{{"email", "bea@proven.test"}}, tok(again))
                .status,
            202);
  ASSERT_TRUE(eventually([&] { return sink.mails().size() == 3; }, 20s));
  std::string code2 = code_in(sink.mails()[2].data);
  auto ok2 = srv->post("/api/v1/webchat/" + web + "/email-verification/confirm", bj::object{{"code", code2}}, tok(again));
  ASSERT_EQ(ok2.status, 200) << ok2.describe();
  EXPECT_EQ(str(ok2.json(), "contact_id"), mail_contact);
  texts.clear();
  for (const auto& m : arr(srv->get("/api/v1/webchat/" + web + "/messages", tok(again)).json(), "data"))
    texts.push_back(str(m, "text"));
  EXPECT_EQ(texts, (std::vector<std::string>{"hi from the site", "still here"}));
  // The used code is gone.
  EXPECT_EQ(srv->post("/api/v1/webchat/" + web + "/email-verification/confirm", bj::object{{"code", code2}}, tok(again))
                .error_code(),
            "no_pending_verification");
}

// The bot's order status for a customer the channel does not identify, on the real binary: it asks
// for the order number and the order's email, mails a one-time code through the shop's email
// channel (the relay is a real SMTP peer), says nothing about the order before the code, counts a
// wrong code, and tells the status after the right one. Details that match no order get the same
// words and no mail.
TEST_F(Email, TheBotTellsAnOrdersStatusOnlyAfterTheCodeMailedToTheOrdersAddress) {
  SmtpSink sink;
  boot();
  create_channel(bj::object{{"address", "support@shop.test"},
                            {"smtp_host", "127.0.0.1"},
                            {"smtp_port", static_cast<int>(sink.port())},
                            {"smtp_tls", "none"}});
  std::string web = create_webchat_channel(*srv, shop.token, "Web");
  // The bot is on once the knowledge base has entries.
  auto kb = srv->post("/api/v1/kb/import",
                      parse_json(R"({"entries":[{"id":"ship","language":"en","questions":["Do you ship to Belgium?"],)"
                                 R"("answer":"Yes, to Belgium in 2-3 working days."}]})"),
                      bearer(shop.token));
  ASSERT_EQ(kb.status, 200) << kb.describe();
  ASSERT_EQ(srv->post("/api/v1/products",
                      parse_json(R"({"handle":"wool-scarf","title":{"en":"Wool scarf"},)"
                                 R"("variants":[{"sku":"SCARF","title":"Red","prices":{"EUR":3500},"stock":20}]})"),
                      bearer(shop.token))
                .status,
            201);
  auto visitor = [&](const std::string& name, const std::string& email) {
    bj::object b;
    if (!name.empty()) b["name"] = name;
    if (!email.empty()) b["email"] = email;
    auto r = srv->post("/api/v1/webchat/" + web + "/visitors", b);
    EXPECT_EQ(r.status, 201) << r.describe();
    return Headers{{"X-Visitor-Token", str(r.json(), "visitor_token")}};
  };
  auto say = [&](const Headers& who, const std::string& text) {
    auto r = srv->post("/api/v1/webchat/" + web + "/messages", bj::object{{"text", text}}, who);
    EXPECT_EQ(r.status, 201) << r.describe();
    return str(r.json(), "conversation_id");
  };
  // The bot's public messages in a conversation, oldest first.
  auto bot_texts = [&](const std::string& conv) {
    std::vector<std::string> out;
    for (const auto& m : messages(conv))
      if (str(m, "author.kind") == "bot" && str(m, "kind") != "note") out.push_back(str(m, "text"));
    return out;
  };
  auto next_bot_text = [&](const std::string& conv, size_t before) {
    std::string t;
    EXPECT_TRUE(eventually([&] {
      auto all = bot_texts(conv);
      if (all.size() <= before) return false;
      t = all.back();
      return true;
    }, 20s)) << srv->server_output();
    return t;
  };

  // Ann paid an order from her own chat (her contact has her email).
  Headers ann = visitor("Ann", "ann@example.test");
  std::string ann_conv = say(ann, "I'll take the scarf");
  auto cart = srv->post("/api/v1/carts", bj::object{{"conversation_id", ann_conv}, {"items", bj::array{bj::object{{"sku", "SCARF"}, {"quantity", 1}}}}},
                        bearer(shop.token));
  ASSERT_EQ(cart.status, 201) << cart.describe();
  auto order = srv->post("/api/v1/orders", bj::object{{"cart_id", str(cart.json(), "id")}}, bearer(shop.token));
  ASSERT_EQ(order.status, 201) << order.describe();
  std::string number = std::to_string(num(order.json(), "number"));
  ASSERT_EQ(srv->patch("/api/v1/orders/" + str(order.json(), "id"), bj::object{{"status", "paid"}, {"payment_ref", "bank-1"}},
                       bearer(shop.token))
                .status,
            200);

  // Later, on another device: a new visitor the channel cannot tie to any order.
  Headers later = visitor("", "");
  std::string conv = say(later, "Where is my order?");
  std::string asked = next_bot_text(conv, 0);
  EXPECT_NE(asked.find("order number"), std::string::npos) << asked;
  // Details that match no order: the same words, and no mail.
  say(later, number + " eve@example.test");
  std::string no_match = next_bot_text(conv, 1);
  EXPECT_NE(no_match.find("6-digit code"), std::string::npos) << no_match;
  EXPECT_EQ(no_match.find(number), std::string::npos) << no_match;
  // The right details: the code goes to the order's address through the relay.
  say(later, number + " ANN@example.test");
  std::string sent = next_bot_text(conv, 2);
  EXPECT_EQ(sent, no_match);  // nothing tells a stranger whether the details matched
  ASSERT_TRUE(eventually([&] { return sink.mails().size() == 1; }, 20s)) << srv->server_output();
  auto mail = sink.mails()[0];
  EXPECT_EQ(mail.rcpts, std::vector<std::string>{"ANN@example.test"});
  EXPECT_EQ(header_of(mail.data, "Subject"), "Your verification code");  // a first mail, not "Re:"
  std::smatch found;
  std::string body = mail.data.substr(mail.data.find("\r\n\r\n"));
  ASSERT_TRUE(std::regex_search(body, found, std::regex("order #" + number + " in our chat is ([0-9]{6})"))) << mail.data;
  std::string code = found[1];
  EXPECT_EQ(sink.mails().size(), 1u) << "details matching no order must not send a mail";
  for (const auto& t : bot_texts(conv)) EXPECT_EQ(t.find("Wool scarf"), std::string::npos) << t;
  // A wrong code, then the right one: the status.
  say(later, code == "000000" ? "111111" : "000000");
  std::string wrong = next_bot_text(conv, 3);
  EXPECT_NE(wrong.find("2 attempts left"), std::string::npos) << wrong;
  say(later, code);
  std::string status = next_bot_text(conv, 4);
  EXPECT_NE(status.find("Order #" + number), std::string::npos) << status;
  EXPECT_NE(status.find("paid"), std::string::npos) << status;
  // The turns are logged: the last one answered from the order.
  auto turns = srv->get("/api/v1/conversations/" + conv + "/bot_turns", bearer(shop.token));
  ASSERT_EQ(turns.status, 200);
  auto data = arr(turns.json(), "data");
  ASSERT_FALSE(data.empty());
  EXPECT_EQ(str(data.back(), "entry_id"), "order:status");
  EXPECT_EQ(str(data.back(), "outcome"), "answered");
}

TEST_F(Email, LmtpDeliveryAnswersPerRecipient) {
  boot("lmtp");
  create_channel(bj::object{{"address", "support@shop.test"}, {"aliases", bj::array{"help@shop.test"}}});
  auto r = swaks("support@shop.test,help@shop.test", customer_mail("l1@customer.test", "Via Postfix", "Hello over LMTP"),
                 "--protocol LMTP");
  ASSERT_EQ(r.status, 0) << r.out;
  // One 250 per accepted recipient after the final dot.
  size_t n = 0;
  for (size_t p = r.out.find("250 2.0.0 message accepted"); p != std::string::npos;
       p = r.out.find("250 2.0.0 message accepted", p + 1))
    ++n;
  EXPECT_EQ(n, 2u) << r.out;
  auto convs = conversations();
  ASSERT_EQ(convs.size(), 1u);  // two addresses of one channel: one message
  EXPECT_EQ(messages(str(convs[0], "id")).size(), 1u);
}

TEST_F(Email, OversizedMailIsRefusedAndNothingIsStored) {
  boot("smtp", "max_message_bytes = 4096\n");
  create_channel(bj::object{{"address", "support@shop.test"}});
  std::string big(8000, 'x');
  auto r = swaks("support@shop.test", customer_mail("big@customer.test", "Big", big));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("552"), std::string::npos) << r.out;
  EXPECT_TRUE(conversations().empty());
  // The listener stays up and takes the next message.
  auto ok = swaks("support@shop.test", customer_mail("small@customer.test", "Small", "fine"));
  EXPECT_EQ(ok.status, 0) << ok.out;
  EXPECT_EQ(conversations().size(), 1u);
}

TEST_F(Email, RelayOverStartTlsVerifiesTheCertificateAndRetriesATemporaryRefusal) {
  fs::path dir = fs::temp_directory_path() / ("bottega-tls-" + random_hex(4));
  fs::create_directories(dir);
  std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  auto gen = run("openssl req -x509 -newkey rsa:2048 -nodes -keyout " + key + " -out " + cert +
                 " -days 1 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1");
  ASSERT_EQ(gen.status, 0) << gen.out;
  SmtpSink sink(cert, key);
  boot("smtp", "relay_ca_file = \"" + cert + "\"\n");
  create_channel(bj::object{{"address", "support@shop.test"},
                            {"smtp_host", "localhost"},
                            {"smtp_port", static_cast<int>(sink.port())},
                            {"smtp_username", "u"},
                            {"smtp_password", "p"},
                            {"smtp_tls", "required"}});
  ASSERT_EQ(swaks("support@shop.test", customer_mail("t1@customer.test", "TLS", "hello")).status, 0);
  std::string conv = str(conversations().at(0), "id");
  sink.refuse_next(1, "451 4.3.0 try later");
  auto reply = srv->post("/api/v1/conversations/" + conv + "/messages", bj::object{{"text", "over TLS"}}, bearer(shop.token));
  ASSERT_EQ(reply.status, 201);
  // The first attempt is deferred (451); the job retries with backoff (first retry within ~5 s).
  ASSERT_TRUE(eventually([&] { return sink.mails().size() == 1; }, 30s)) << srv->server_output();
  auto m = sink.mails()[0];
  EXPECT_TRUE(m.tls);
  EXPECT_EQ(m.auth_user, "u");
  EXPECT_EQ(header_of(m.data, "In-Reply-To"), "<t1@customer.test>");
  fs::remove_all(dir);
}

// Postfix in front of Bottega, both ways: a customer's mail accepted by Postfix's smtpd is
// delivered over LMTP into a conversation (8-bit UTF-8 body, a redelivered Message-ID stored
// once); the agent's reply goes out through Postfix (Bottega's SMTP client against Postfix's
// smtpd) to the customer's side with the threading headers, and the customer's answer, again
// through Postfix, lands in the same conversation.
TEST_F(Email, PostfixDeliversOverLmtpAndRelaysTheReply) {
  if (auto why = Postfix::unavailable(); !why.empty()) GTEST_SKIP() << why;
  SmtpSink sink;
  boot("lmtp");
  Postfix postfix(smtp_port, sink.port());
  create_channel(bj::object{{"address", "support@shop.test"},
                            {"smtp_host", "127.0.0.1"},
                            {"smtp_port", static_cast<int>(postfix.port())},
                            {"smtp_tls", "none"}});
  auto through_postfix = [&](const std::string& to, const std::string& data) {
    return swaks(to, data, "", postfix.port());
  };
  std::string first = customer_mail("p1@customer.test", "Via Postfix", "Ciao, è già partito il pacco?");
  auto sent = through_postfix("support@shop.test", first);
  ASSERT_EQ(sent.status, 0) << sent.out;
  EXPECT_NE(sent.out.find("250 2.0.0 Ok: queued"), std::string::npos) << sent.out;  // Postfix's answer
  ASSERT_TRUE(eventually([&] { return conversations().size() == 1; }, 60s)) << postfix.log() << srv->server_output();
  std::string conv = str(conversations().at(0), "id");
  auto msgs = messages(conv);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(str(msgs[0], "text"), "Ciao, è già partito il pacco?");
  // Postfix logged the LMTP delivery with Bottega's per-recipient answer.
  ASSERT_TRUE(eventually([&] { return postfix.log().find("status=sent (250 2.0.0 message accepted") != std::string::npos; },
                         30s))
      << postfix.log();

  // Postfix redelivering the same mail (a sender's retry): acknowledged, stored once.
  ASSERT_EQ(through_postfix("support@shop.test", first).status, 0);
  ASSERT_TRUE(eventually([&] {
    auto l = postfix.log();
    size_t n = 0;
    for (size_t p = l.find("status=sent (250 2.0.0 message accepted"); p != std::string::npos;
         p = l.find("status=sent (250 2.0.0 message accepted", p + 1))
      ++n;
    return n == 2;
  }, 60s)) << postfix.log();
  EXPECT_EQ(messages(conv).size(), 1u);

  // The agent's reply leaves through Postfix and reaches the customer's side.
  auto reply = srv->post("/api/v1/conversations/" + conv + "/messages", bj::object{{"text", "Sì, parte oggi."}},
                         bearer(shop.token));
  ASSERT_EQ(reply.status, 201) << reply.describe();
  std::string reply_id = str(reply.json(), "id");
  ASSERT_TRUE(eventually([&] { return sink.mails().size() == 1; }, 60s)) << postfix.log() << srv->server_output();
  auto mail = sink.mails()[0];
  EXPECT_EQ(mail.mail_from, "support@shop.test");
  ASSERT_EQ(mail.rcpts.size(), 1u);
  EXPECT_EQ(mail.rcpts[0], "ana@customer.test");
  EXPECT_NE(header_of(mail.data, "Received").find("relay.postfix.test"), std::string::npos) << mail.data;
  EXPECT_EQ(header_of(mail.data, "In-Reply-To"), "<p1@customer.test>");
  std::string our_id = header_of(mail.data, "Message-ID");
  EXPECT_EQ(our_id, "<" + reply_id + "." + conv + "@shop.test>");
  ASSERT_TRUE(eventually([&] {
    for (const auto& m : messages(conv))
      if (str(m, "id") == reply_id) return str(m, "delivery.state") == "sent";
    return false;
  }, 30s));

  // The customer's answer, threaded on our Message-ID, comes back through Postfix.
  auto answer = through_postfix("support@shop.test",
                                customer_mail("p2@customer.test", "Re: Via Postfix", "Grazie!",
                                              "In-Reply-To: " + our_id + "\r\nReferences: <p1@customer.test> " +
                                                  our_id + "\r\n"));
  ASSERT_EQ(answer.status, 0) << answer.out;
  ASSERT_TRUE(eventually([&] { return messages(conv).size() == 3; }, 60s)) << postfix.log();
  EXPECT_EQ(str(messages(conv)[2], "text"), "Grazie!");
  EXPECT_EQ(conversations().size(), 1u);
}

}  // namespace
}  // namespace e2e
