// Outbound attachments on the real binary: an agent uploads files (POST /api/v1/media: type,
// signature and size checks), sends them as one message (kind attachment) into a web chat
// conversation, the visitor fetches them through its own route, and the signed public URL
// (GET /media/{id}/{filename}?exp=&sig=) serves a sent file without a session only while its
// signature and expiry hold.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "core/crypto.hpp"
#include "harness.hpp"

namespace e2e {
namespace {

const std::string kSecret = "attach-e2e-secret-0123456789abcdef";
const std::string kPng = std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16) + std::string(64, 'p');
const std::string kPdf = "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n";

std::string pct(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') out += static_cast<char>(c);
    else out += std::string("%") + kHex[c >> 4] + kHex[c & 15];
  }
  return out;
}

class Attachments : public ::testing::Test {
 protected:
  void SetUp() override {
    ProcessOptions o;
    o.extra_toml = "[media]\nupload_max_bytes = 4096\nurl_secret = \"" + kSecret + "\"\n";
    srv = std::make_unique<BottegaProcess>(o);
    shop = srv->create_tenant("Files shop");
    other = srv->create_tenant("Other shop");
    srv->start();
    channel = create_webchat_channel(*srv, shop.token);
    ann = create_visitor(*srv, channel, "Ann");
    auto sent = visitor_send(*srv, channel, ann.token, "Can you send me the invoice?");
    if (sent.status != 201) throw std::runtime_error(sent.describe());
    conv = str(sent.json(), "conversation_id");
  }
  HttpResponse upload(const std::string& bytes, const std::string& type, const std::string& name,
                      const Tenant* who = nullptr) {
    return srv->request("POST", "/api/v1/media?filename=" + pct(name), bytes,
                        bearer((who ? who : &shop)->token) + Headers{{"Content-Type", type}});
  }
  std::string upload_id(const std::string& bytes, const std::string& type, const std::string& name) {
    auto r = upload(bytes, type, name);
    if (r.status != 201) throw std::runtime_error("upload: " + r.describe());
    return str(r.json(), "id");
  }
  HttpResponse send(const bj::array& ids, const std::string& caption = "", const Tenant* who = nullptr) {
    bj::array atts;
    for (const auto& id : ids) atts.push_back(bj::object{{"media_id", id}});
    bj::object body{{"kind", "attachment"}, {"content", bj::object{{"attachments", atts}}}};
    if (!caption.empty()) body["text"] = caption;
    return srv->post("/api/v1/conversations/" + conv + "/messages", body, bearer((who ? who : &shop)->token));
  }
  std::string public_path(const std::string& tenant, const std::string& id, const std::string& name, int64_t exp) {
    std::string sig = bottega::crypto::base64url(
        bottega::crypto::hmac_sha256(kSecret, tenant + "|" + id + "|" + std::to_string(exp)));
    return "/media/" + id + "/" + pct(name) + "?exp=" + std::to_string(exp) + "&sig=" + sig;
  }

  std::unique_ptr<BottegaProcess> srv;
  Tenant shop, other;
  std::string channel, conv;
  Visitor ann;
};

TEST_F(Attachments, UploadsAreCheckedStoredAndServedToTheShopOnly) {
  auto r = upload(kPng, "image/png", "Foto prodotto.png");
  ASSERT_EQ(r.status, 201) << r.describe();
  auto j = r.json();
  std::string id = str(j, "id");
  EXPECT_EQ(str(j, "mime_type"), "image/png");
  EXPECT_EQ(str(j, "filename"), "Foto prodotto.png");
  EXPECT_EQ(num(j, "size"), static_cast<int64_t>(kPng.size()));
  EXPECT_EQ(str(j, "sha256"), bottega::crypto::hex(bottega::crypto::sha256(kPng)));
  auto got = srv->get("/api/v1/media/" + id, bearer(shop.token));
  ASSERT_EQ(got.status, 200) << got.describe();
  EXPECT_EQ(got.body, kPng);
  EXPECT_EQ(got.header("Content-Type"), "image/png");
  EXPECT_EQ(got.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(srv->get("/api/v1/media/" + id, bearer(other.token)).status, 404);

  // Refusals name the field and store nothing.
  auto svg = upload("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "image/svg+xml", "x.svg");
  EXPECT_EQ(svg.status, 400);
  EXPECT_EQ(svg.error_code(), "media_type_not_allowed");
  EXPECT_EQ(svg.error_field(), "Content-Type");
  auto html = upload("<html></html>", "text/html; charset=utf-8", "x.html");
  EXPECT_EQ(html.error_code(), "media_type_not_allowed");
  auto fake = upload("<html><body>not a png</body></html>", "image/png", "fake.png");
  EXPECT_EQ(fake.status, 400);
  EXPECT_EQ(fake.error_code(), "media_type_mismatch");
  auto fake_pdf = upload(kPng, "application/pdf", "fake.pdf");
  EXPECT_EQ(fake_pdf.error_code(), "media_type_mismatch");
  auto unnamed = srv->request("POST", "/api/v1/media", kPdf, bearer(shop.token) + Headers{{"Content-Type", "application/pdf"}});
  EXPECT_EQ(unnamed.status, 400);
  EXPECT_EQ(unnamed.error_field(), "filename");
  EXPECT_EQ(upload("", "text/plain", "empty.txt").error_code(), "empty_file");
  // Past [media] upload_max_bytes (4096 here): 413 before the body is read, whatever the server's
  // general body limit.
  auto big = upload(std::string(5000, 'a'), "text/plain", "big.txt");
  EXPECT_EQ(big.status, 413) << big.describe();
  EXPECT_EQ(big.error_code(), "media_too_large");
  EXPECT_EQ(upload(std::string(4096, 'a'), "text/plain", "fits.txt").status, 201);
  // No credentials, no upload.
  EXPECT_EQ(srv->request("POST", "/api/v1/media?filename=a.txt", "x", {{"Content-Type", "text/plain"}}).status, 401);
}

TEST_F(Attachments, AnAgentSendsFilesAsOneMessageTheVisitorGetsThem) {
  std::string png = upload_id(kPng, "image/png", "photo.png");
  std::string pdf = upload_id(kPdf, "application/pdf", "Fattura n°7.pdf");
  auto r = send({bj::value(png), bj::value(pdf)}, "Here is your invoice");
  ASSERT_EQ(r.status, 201) << r.describe();
  auto m = r.json();
  EXPECT_EQ(str(m, "kind"), "attachment");
  EXPECT_EQ(str(m, "text"), "Here is your invoice");
  auto atts = arr(m, "content.attachments");
  ASSERT_EQ(atts.size(), 2u);
  EXPECT_EQ(str(atts[0], "media_id"), png);
  EXPECT_EQ(str(atts[0], "mime_type"), "image/png");
  EXPECT_EQ(str(atts[1], "filename"), "Fattura n°7.pdf");
  EXPECT_EQ(num(atts[1], "size"), static_cast<int64_t>(kPdf.size()));
  EXPECT_EQ(str(atts[1], "sha256"), bottega::crypto::hex(bottega::crypto::sha256(kPdf)));

  // The visitor sees the message and fetches each file through its own route.
  ASSERT_TRUE(eventually([&] {
    auto l = srv->get("/api/v1/webchat/" + channel + "/messages", {{"X-Visitor-Token", ann.token}});
    for (const auto& x : arr(l.json(), "data"))
      if (str(x, "kind") == "attachment") return true;
    return false;
  }, 10s));
  auto file = srv->get("/api/v1/webchat/" + channel + "/media/" + pdf, {{"X-Visitor-Token", ann.token}});
  ASSERT_EQ(file.status, 200) << file.describe();
  EXPECT_EQ(file.body, kPdf);
  EXPECT_EQ(file.header("Content-Security-Policy"), "default-src 'none'; sandbox");
  EXPECT_NE(file.header("Content-Disposition").find("attachment"), std::string::npos);  // PDF: a download
  EXPECT_EQ(srv->get("/api/v1/webchat/" + channel + "/media/" + png, {{"X-Visitor-Token", ann.token}}).body, kPng);
  // Another visitor, or no token, gets nothing.
  auto bob = create_visitor(*srv, channel, "Bob");
  EXPECT_EQ(srv->get("/api/v1/webchat/" + channel + "/media/" + pdf, {{"X-Visitor-Token", bob.token}}).status, 404);
  EXPECT_EQ(srv->get("/api/v1/webchat/" + channel + "/media/" + pdf).status, 401);
}

// A member a kind does not take is named, with the kind in the message (attachment, product, cart).
TEST_F(Attachments, AnUnknownFieldIsRefusedNamingItsKind) {
  std::string a = upload_id(kPng, "image/png", "a.png");
  struct Case {
    bj::object body;
    std::string field, message;
  } cases[] = {
      {{{"kind", "attachment"}, {"content", bj::object{{"attachments", bj::array{bj::object{{"media_id", a}}}}}},
        {"caption", "x"}},
       "caption", "unknown field for kind attachment"},
      {{{"kind", "product"}, {"sku", "BOOT-40"}, {"colour", "red"}}, "colour", "unknown field for kind product"},
      {{{"kind", "cart"}, {"cart_id", "crt_1"}, {"text", "hi"}}, "text", "unknown field for kind cart"},
  };
  for (const auto& c : cases) {
    auto r = srv->post("/api/v1/conversations/" + conv + "/messages", c.body, bearer(shop.token));
    EXPECT_EQ(r.status, 400) << r.describe();
    EXPECT_EQ(r.error_code(), "unknown_field") << r.describe();
    EXPECT_EQ(r.error_field(), c.field) << r.describe();
    EXPECT_EQ(str(r.json(), "error.message"), c.message) << r.describe();
  }
  // Nothing was sent: the upload still sends.
  EXPECT_EQ(send({bj::value(a)}).status, 201);
}

TEST_F(Attachments, SendingRefusesAnotherShopsOrAnAlreadySentFileNamingTheAttachment) {
  std::string a = upload_id(kPng, "image/png", "a.png");
  std::string theirs = str(upload(kPdf, "application/pdf", "t.pdf", &other).json(), "id");
  auto r = send({bj::value(a), bj::value(theirs)});
  EXPECT_EQ(r.status, 400) << r.describe();
  EXPECT_EQ(r.error_code(), "unknown_media");
  EXPECT_EQ(r.error_field(), "content.attachments[1].media_id");
  // Nothing was bound: the same upload still sends, once.
  ASSERT_EQ(send({bj::value(a)}).status, 201);
  auto again = send({bj::value(a)});
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.error_code(), "media_already_sent");
  EXPECT_EQ(again.error_field(), "content.attachments[0].media_id");
  EXPECT_EQ(send({}).error_field(), "content.attachments");
  bj::array eleven;
  for (int i = 0; i < 11; ++i) eleven.push_back(bj::value(a));
  EXPECT_EQ(send(eleven).error_field(), "content.attachments");
  auto bad = srv->post("/api/v1/conversations/" + conv + "/messages",
                       bj::object{{"kind", "attachment"}, {"content", bj::object{{"attachments", bj::array{bj::object{{"id", "x"}}}}}}},
                       bearer(shop.token));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.error_field(), "content.attachments[0].id");
}

TEST_F(Attachments, ThePublicUrlServesASentFileOnlyWithAValidUnexpiredSignature) {
  std::string pdf = upload_id(kPdf, "application/pdf", "Fattura n°7.pdf");
  std::string unsent = upload_id(kPng, "image/png", "later.png");
  int64_t exp = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count() + 3600;
  // Not sent yet: no public link serves it, even correctly signed.
  EXPECT_EQ(srv->get(public_path(shop.id, pdf, "Fattura n°7.pdf", exp)).status, 404);
  ASSERT_EQ(send({bj::value(pdf)}).status, 201);

  auto ok = srv->get(public_path(shop.id, pdf, "Fattura n°7.pdf", exp));
  ASSERT_EQ(ok.status, 200) << ok.describe();
  EXPECT_EQ(ok.body, kPdf);
  EXPECT_EQ(ok.header("Content-Type"), "application/pdf");  // providers read the type from it
  EXPECT_EQ(ok.header("Content-Disposition").rfind("attachment;", 0), 0u);
  EXPECT_EQ(ok.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(ok.header("Content-Security-Policy"), "default-src 'none'; sandbox");
  EXPECT_NE(ok.header("Content-Disposition").find("filename="), std::string::npos);

  std::string path = public_path(shop.id, pdf, "x.pdf", exp);
  std::string tampered = path;
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
  auto t = srv->get(tampered);
  EXPECT_EQ(t.status, 403);
  EXPECT_EQ(t.error_code(), "invalid_signature");
  // A later expiry under the old signature.
  std::string later = path;
  later.replace(later.find("exp=") + 4, std::to_string(exp).size(), std::to_string(exp + 86400));
  EXPECT_EQ(srv->get(later).error_code(), "invalid_signature");
  // Signed for another shop (as if that shop's link named this file).
  EXPECT_EQ(srv->get(public_path(other.id, pdf, "x.pdf", exp)).error_code(), "invalid_signature");
  auto expired = srv->get(public_path(shop.id, pdf, "x.pdf", exp - 7200));
  EXPECT_EQ(expired.status, 403);
  EXPECT_EQ(expired.error_code(), "url_expired");
  EXPECT_EQ(srv->get("/media/" + pdf + "/x.pdf").status, 403);  // no signature at all
  EXPECT_EQ(srv->get(public_path(shop.id, "med_unknown", "x.pdf", exp)).status, 404);
  EXPECT_EQ(srv->get(public_path(shop.id, unsent, "later.png", exp)).status, 404);
}

}  // namespace
}  // namespace e2e

namespace e2e {
namespace {

// What came back on a raw connection: the bytes read until the server closed it (or the deadline).
struct RawReply {
  std::string bytes;
  bool closed = false;  // the server closed the connection (EOF or reset) before the deadline
  int status() const {
    return bytes.rfind("HTTP/1.1 ", 0) == 0 && bytes.size() >= 12 ? std::stoi(bytes.substr(9, 3)) : 0;
  }
  std::string body() const {
    size_t end = bytes.find("\r\n\r\n");
    return end == std::string::npos ? "" : bytes.substr(end + 4);
  }
  bool header_has(const std::string& line) const {
    std::string head = bytes.substr(0, bytes.find("\r\n\r\n"));
    for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string want = line;
    for (auto& c : want) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return head.find("\r\n" + want + "\r\n") != std::string::npos;
  }
};

// Sends `head` (request line and headers, no body) on a fresh connection and reads, polling with a
// deadline, until the server closes the connection.
RawReply headers_only(uint16_t port, const std::string& head, std::chrono::seconds deadline = 30s) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    throw std::runtime_error("connect");
  }
  for (size_t off = 0; off < head.size();) {
    ssize_t n = ::send(fd, head.data() + off, head.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  RawReply out;
  const auto until = std::chrono::steady_clock::now() + deadline;
  char buf[4096];
  while (std::chrono::steady_clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      out.closed = true;
      break;
    }
    out.bytes.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

// The server's default limits ([server] max_body_bytes 1 MB, [media] upload_max_bytes 16 MB): a
// body past 1 MB is read only for a caller authenticated on the headers.
class UploadAuth : public ::testing::Test {
 protected:
  void SetUp() override {
    srv = std::make_unique<BottegaProcess>();
    shop = srv->create_tenant("Upload shop");
    srv->create_agent(shop.id, "ada@upload.test", "ada password 12", "agent", "Ada");
    srv->start();
  }
  std::string large_upload_head(const std::string& credentials) {
    return "POST /api/v1/media?filename=big.pdf HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           "Content-Type: application/pdf\r\nContent-Length: 16000000\r\n" +
           credentials + "\r\n";
  }
  std::unique_ptr<BottegaProcess> srv;
  Tenant shop;
};

TEST_F(UploadAuth, AnAnonymousOrBadlyCredentialedLargeUploadIsRefusedBeforeItsBodyIsRead) {
  // 16 MB announced, not one byte of it sent: the answer can only come from the header phase (a
  // server that waited for the body would answer nothing until its idle timeout, 60 s).
  for (const std::string& creds : {std::string(""), std::string("Authorization: Bearer not-a-real-token\r\n"),
                                   std::string("Cookie: bottega_session=forged-session-id\r\nX-CSRF-Token: x\r\n")}) {
    SCOPED_TRACE("credentials: " + creds);
    auto r = headers_only(srv->port(), large_upload_head(creds));
    EXPECT_EQ(r.status(), 401) << r.bytes;
    EXPECT_TRUE(r.closed) << "the server should close the connection: " << r.bytes;
    EXPECT_TRUE(r.header_has("Connection: close")) << r.bytes;
    auto j = parse_json(r.body());
    EXPECT_EQ(str(j, "error.code"), "unauthenticated") << r.body();
  }
  // A real session without its CSRF header: refused the same way (403 csrf_failed), unread.
  auto login = srv->post("/api/v1/auth/login", bj::object{{"email", "ada@upload.test"}, {"password", "ada password 12"}});
  ASSERT_EQ(login.status, 200) << login.describe();
  std::string cookie = login.header("Set-Cookie");
  cookie = cookie.substr(0, cookie.find(';'));
  auto r = headers_only(srv->port(), large_upload_head("Cookie: " + cookie + "\r\n"));
  EXPECT_EQ(r.status(), 403) << r.bytes;
  EXPECT_TRUE(r.closed) << r.bytes;
  EXPECT_EQ(str(parse_json(r.body()), "error.code"), "csrf_failed") << r.body();
  // The refusals are counted on the upload's route.
  auto metrics = srv->get("/metrics");
  EXPECT_NE(metrics.body.find(R"(route="/api/v1/media",status="401"} 3)"), std::string::npos) << metrics.body;
}

TEST_F(UploadAuth, AnAuthenticatedAgentStillUploadsAFileLargerThanTheServersBodyLimit) {
  std::string pdf = kPdf + std::string(3 << 20, 'z');  // 3 MB: past the server's 1 MB default
  auto r = srv->request("POST", "/api/v1/media?filename=catalogue.pdf", pdf,
                        bearer(shop.token) + Headers{{"Content-Type", "application/pdf"}}, 60s);
  ASSERT_EQ(r.status, 201) << r.describe();
  EXPECT_EQ(num(r.json(), "size"), static_cast<int64_t>(pdf.size()));
  EXPECT_EQ(str(r.json(), "sha256"), bottega::crypto::hex(bottega::crypto::sha256(pdf)));
  // With a console session: the cookie and its CSRF header.
  auto login = srv->post("/api/v1/auth/login", bj::object{{"email", "ada@upload.test"}, {"password", "ada password 12"}});
  ASSERT_EQ(login.status, 200) << login.describe();
  std::string cookie = login.header("Set-Cookie");
  cookie = cookie.substr(0, cookie.find(';'));
  auto s = srv->request("POST", "/api/v1/media?filename=catalogue2.pdf", pdf,
                        {{"Cookie", cookie}, {"X-CSRF-Token", str(login.json(), "csrf_token")},
                         {"Content-Type", "application/pdf"}},
                        60s);
  ASSERT_EQ(s.status, 201) << s.describe();
  auto got = srv->get("/api/v1/media/" + str(s.json(), "id"), bearer(shop.token));
  ASSERT_EQ(got.status, 200) << got.describe();
  EXPECT_EQ(got.body.size(), pdf.size());
  // Past [media] upload_max_bytes an authenticated upload still gets 413 media_too_large unread.
  auto big = headers_only(srv->port(), "POST /api/v1/media?filename=big.pdf HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                       "Content-Type: application/pdf\r\nContent-Length: 17000000\r\n"
                                       "Authorization: Bearer " + shop.token + "\r\n\r\n");
  EXPECT_EQ(big.status(), 413) << big.bytes;
  EXPECT_EQ(str(parse_json(big.body()), "error.code"), "media_too_large") << big.body();
}

}  // namespace
}  // namespace e2e
