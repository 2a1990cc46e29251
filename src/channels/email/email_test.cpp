// The email channel's pure parts: MIME decoding (multipart, transfer encodings, RFC 2047,
// charsets), address and Message-ID parsing, quoted-history stripping, the HTML sanitizer,
// automated-mail detection, settings, and the reply's threading headers.
#include <gtest/gtest.h>

#include "core/crypto.hpp"

#include <boost/json/parse.hpp>

#include "channels/cards.hpp"
#include "channels/email/email.hpp"
#include "channels/email/mime.hpp"
#include "channels/email/text.hpp"

namespace bottega::channels::email {
namespace {

namespace bj = boost::json;

TEST(Mime, QuotedPrintableSoftBreaksAndEscapes) {
  EXPECT_EQ(decode_quoted_printable("caf=C3=A9 =\r\nbar=3D1\r\n"), "café bar=1\r\n");
  EXPECT_EQ(decode_quoted_printable("a=\nb"), "ab");
  EXPECT_EQ(decode_quoted_printable("bad=ZZ end="), "bad=ZZ end");
}

TEST(Mime, Base64IsLenient) {
  EXPECT_EQ(decode_base64_lenient("aGVs\r\nbG8=\r\n"), "hello");
  EXPECT_EQ(decode_base64_lenient("aGVsbG8"), "hello");
  EXPECT_EQ(decode_base64_lenient("!!aGVsbG8!!"), "hello");
}

TEST(Mime, EncodedWordsInHeaders) {
  EXPECT_EQ(decode_encoded_words("=?UTF-8?B?Q2Fmw6k=?= order"), "Café order");
  EXPECT_EQ(decode_encoded_words("=?iso-8859-1?Q?Caf=E9_au_lait?="), "Café au lait");
  // Whitespace between adjacent encoded words disappears; elsewhere it stays.
  EXPECT_EQ(decode_encoded_words("=?utf-8?q?a?= =?utf-8?q?b?= c"), "ab c");
  EXPECT_EQ(decode_encoded_words("=?windows-1252?Q?=80_5?="), "€ 5");
  EXPECT_EQ(decode_encoded_words("plain =?bogus"), "plain =?bogus");
}

TEST(Mime, Charsets) {
  EXPECT_EQ(to_utf8("caf\xe9", "ISO-8859-1"), "café");
  EXPECT_EQ(to_utf8("\x93quoted\x94 \x80", "windows-1252"), "“quoted” €");
  EXPECT_EQ(to_utf8("caf\xc3\xa9", "utf-8"), "café");
  EXPECT_EQ(to_utf8("bad\xff", "utf-8"), "bad\xEF\xBF\xBD");
  EXPECT_EQ(to_utf8("caf\xe9", ""), "café");  // undeclared 8-bit: Windows-1252
}

TEST(Mime, AddressLists) {
  auto a = parse_address_list(R"("Doe, Jane" <Jane@Example.COM>, bob@x.org (Bob), =?utf-8?q?Ren=C3=A9?= <rene@x.fr>)");
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].address, "Jane@example.com");
  EXPECT_EQ(a[0].name, "Doe, Jane");
  EXPECT_EQ(a[1].address, "bob@x.org");
  EXPECT_EQ(a[2].name, "René");
  auto g = parse_address_list("team: a@x.org, b@x.org;");
  ASSERT_EQ(g.size(), 2u);
  EXPECT_TRUE(parse_address_list("not an address").empty());
}

TEST(Mime, MessageIds) {
  auto ids = parse_message_ids("<a@x> <b@y>\r\n <c@z>");
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(ids[2], "c@z");
  EXPECT_EQ(parse_message_ids("bare@id.example").front(), "bare@id.example");
  EXPECT_TRUE(parse_message_ids("<>").empty());
}

const char* kMultipart =
    "From: =?UTF-8?Q?Ana_Mar=C3=ADa?= <ana@customer.example>\r\n"
    "To: Support <support@shop.example>\r\n"
    "Subject: =?UTF-8?B?U2l6ZSA0MiDwn5Gf?=\r\n"
    "Message-ID: <m1@customer.example>\r\n"
    "In-Reply-To: <out1@shop.example>\r\n"
    "References: <root@shop.example>\r\n"
    "  <out1@shop.example>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--outer\r\n"
    "Content-Type: multipart/alternative; boundary=inner\r\n"
    "\r\n"
    "--inner\r\n"
    "Content-Type: text/plain; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Do you have it in caf=E9 color?\r\n"
    "--inner\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "PHA+RG8geW91IGhhdmUgaXQ8c2NyaXB0PmFsZXJ0KDEpPC9zY3JpcHQ+PC9wPg==\r\n"
    "--inner--\r\n"
    "--outer\r\n"
    "Content-Type: image/png; name=\"shoe.png\"\r\n"
    "Content-Disposition: attachment; filename*=UTF-8''sch%C3%BCh.png\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "iVBORw0KGgo=\r\n"
    "--outer--\r\n"
    "epilogue\r\n";

TEST(Mime, NestedMultipart) {
  auto m = parse_mail(kMultipart);
  ASSERT_TRUE(m.ok()) << m.error().message;
  ASSERT_TRUE(m->from.has_value());
  EXPECT_EQ(m->from->address, "ana@customer.example");
  EXPECT_EQ(m->from->name, "Ana María");
  EXPECT_EQ(m->subject, "Size 42 👟");
  EXPECT_EQ(m->message_id, "m1@customer.example");
  ASSERT_EQ(m->in_reply_to.size(), 1u);
  ASSERT_EQ(m->references.size(), 2u);
  EXPECT_EQ(m->text, "Do you have it in café color?");
  EXPECT_EQ(m->html, "<p>Do you have it<script>alert(1)</script></p>");
  ASSERT_EQ(m->attachments.size(), 1u);
  EXPECT_EQ(m->attachments[0].filename, "schüh.png");
  EXPECT_EQ(m->attachments[0].content_type, "image/png");
  EXPECT_EQ(m->attachments[0].size, 8u);
}

TEST(Mime, LimitsRejectAbuse) {
  std::string deep = "From: a@x.org\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n";
  for (int i = 1; i < 20; ++i)
    deep += "--b" + std::to_string(i - 1) + "\r\nContent-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n";
  auto r = parse_mail(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "mime_too_complex");
  MimeLimits small;
  small.max_bytes = 10;
  EXPECT_EQ(parse_mail("From: a@x.org\r\n\r\nhello world", small).error().code, "message_too_large");
}

TEST(Mime, HeaderOnlyAndBareLf) {
  auto m = parse_mail("From: a@x.org\nSubject: hi\n\nline1\nline2\n");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->subject, "hi");
  EXPECT_EQ(m->text, "line1\nline2\n");
  auto h = parse_mail("From: a@x.org");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->text, "");
}

TEST(Text, StripsQuotedHistoryAndSignature) {
  EXPECT_EQ(strip_reply("Yes please, size 42.\n\nOn Mon, 3 Nov 2026 at 10:00, Shop <s@x> wrote:\n> Which size?\n"),
            "Yes please, size 42.");
  EXPECT_EQ(strip_reply("Thanks!\nOn Mon, 3 Nov 2026, Shop <s@x>\nwrote:\n> q\n"), "Thanks!");
  EXPECT_EQ(strip_reply("Great\n\n-- \nAna\nCEO\n"), "Great");
  EXPECT_EQ(strip_reply("Ok\n\nSent from my iPhone"), "Ok");
  EXPECT_EQ(strip_reply("Fine\n\n-----Original Message-----\nFrom: x\n"), "Fine");
  EXPECT_EQ(strip_reply("See below\n\n________________________________\nFrom: Shop\nSent: Monday\n"), "See below");
  EXPECT_EQ(strip_reply("Merci\n\nLe lun. 3 nov. 2026, Shop a écrit :\n> x"), "Merci");
  EXPECT_EQ(strip_reply("> only a quote"), "> only a quote");  // never empty
  EXPECT_EQ(strip_reply("a\n> q\nb"), "a\nb");
}

TEST(Text, HtmlToText) {
  EXPECT_EQ(html_to_text("<html><head><title>x</title><style>p{}</style></head><body><p>Hello&nbsp;<b>Ana</b></p>"
                         "<div>Line&amp;2</div><blockquote>old</blockquote></body></html>"),
            "Hello\xC2\xA0" "Ana\n\nLine&2");
}

TEST(Text, SanitizerKeepsOnlyTheAllowList) {
  EXPECT_EQ(sanitize_html("<p onclick=\"x()\">Hi <script>alert(1)</script><b>there</b></p>"), "<p>Hi <b>there</b></p>");
  EXPECT_EQ(sanitize_html("<a href=\"javascript:alert(1)\">x</a>"),
            "<a rel=\"noopener noreferrer nofollow\" target=\"_blank\">x</a>");
  EXPECT_EQ(sanitize_html("<a href=\" JaVa\tscript:alert(1)\">x</a>"),
            "<a rel=\"noopener noreferrer nofollow\" target=\"_blank\">x</a>");
  EXPECT_EQ(sanitize_html("<a href='https://shop.example/?a=1&amp;b=\"2'>x</a>"),
            "<a href=\"https://shop.example/?a=1&amp;b=&quot;2\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">x</a>");
  EXPECT_EQ(sanitize_html("<img src=x onerror=alert(1)><svg><script>1</script></svg>ok"), "ok");
  EXPECT_EQ(sanitize_html("&lt;script&gt;alert(1)&lt;/script&gt;"), "&lt;script&gt;alert(1)&lt;/script&gt;");
  EXPECT_EQ(sanitize_html("<div><b>unclosed"), "<div><b>unclosed</b></div>");
  EXPECT_EQ(sanitize_html("</p>stray<!-- c --><style>x</style>"), "stray");
  EXPECT_EQ(sanitize_html("a < b"), "a &lt; b");
  EXPECT_EQ(sanitize_html("<td colspan=2 style=x>c</td>"), "<td colspan=\"2\">c</td>");
}

TEST(Email, AutomatedMailIsRecognised) {
  auto reason = [](const char* headers) {
    auto m = parse_mail(std::string("From: a@x.org\r\n") + headers + "\r\nbody");
    return automated_reason(*m);
  };
  EXPECT_EQ(reason("Auto-Submitted: auto-replied\r\n"), "auto-replied");
  EXPECT_EQ(reason("Auto-Submitted: no\r\n"), "");
  EXPECT_EQ(reason("Precedence: bulk\r\n"), "bulk");
  EXPECT_EQ(reason("Precedence: list\r\n"), "bulk");
  EXPECT_EQ(reason("List-Id: <news.shop.example>\r\n"), "list");
  EXPECT_EQ(reason("X-Autoreply: yes\r\n"), "auto-replied");
  EXPECT_EQ(reason("Subject: hi\r\n"), "");
}

TEST(Email, InboundKeepsFullTextAndStripsTheReply) {
  auto m = parse_mail(
      "From: Ana <ana@c.example>\r\nSubject: Re: Order\r\nMessage-ID: <m2@c.example>\r\n"
      "In-Reply-To: <o1@shop.example>\r\nReferences: <m1@c.example> <o1@shop.example>\r\n"
      "Auto-Submitted: auto-replied\r\n\r\nI am away.\r\n\r\nOn Tue, Shop wrote:\r\n> Hello\r\n");
  auto in = to_inbound(*m, "raw");
  EXPECT_EQ(in.message_id, "m2@c.example");
  EXPECT_EQ(in.text, "I am away.");
  EXPECT_NE(in.full_text.find("> Hello"), std::string::npos);
  ASSERT_EQ(in.thread_ids.size(), 3u);  // In-Reply-To, then References newest first
  EXPECT_EQ(in.thread_ids[0], "o1@shop.example");
  EXPECT_EQ(in.thread_ids[1], "o1@shop.example");
  EXPECT_EQ(in.thread_ids[2], "m1@c.example");
  auto content = bj::parse(in.content_json).as_object();
  EXPECT_EQ(content.at("automated").as_string(), "auto-replied");
  EXPECT_TRUE(content.at("no_auto_reply").as_bool());
  // Without Message-ID the dedupe key is the hash of the raw bytes.
  auto bare = parse_mail("From: a@x.org\r\n\r\nhi");
  EXPECT_EQ(to_inbound(*bare, "raw").message_id.rfind("sha256:", 0), 0u);
}

// Found by libFuzzer (fuzz/known_crashes/email-strip_reply-invalid-utf8.eml): raw 8-bit bytes in a
// part's Content-Type, its file name or a Message-ID reached the stored JSON as invalid UTF-8.
TEST(Email, RawEightBitHeaderBytesNeverMakeInvalidJson) {
  auto m = parse_mail(
      "From: a@x.org\r\nMessage-ID: <m\xC5@x.org>\r\nIn-Reply-To: <ok@x.org> <b\xFF@x.org>\r\n"
      "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
      "Content-Type: text/plain\r\n\r\nhi\r\n--b\r\n"
      "Content-Type: text/plainalternative\xC5 boundary=\"b1\"\r\n\r\nx\r\n--b\r\n"
      "Content-Type: image/png; name=\"caf\xE9.png\"\r\n\r\ny\r\n--b--\r\n");
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->attachments.size(), 2u);
  EXPECT_EQ(m->attachments[0].content_type, "text/plain");  // invalid type: the default
  EXPECT_EQ(m->attachments[1].content_type, "image/png");
  EXPECT_EQ(m->attachments[1].filename, "caf\xC3\xA9.png");  // Windows-1252 read as such
  EXPECT_FALSE(parse_mail("From: a@b\xBF" "c\r\n\r\nhi")->from);  // an 8-bit address is no address
  auto named = parse_mail("From: Ana \xE9 <a@b.example>\r\n\r\nhi");
  ASSERT_TRUE(named->from);
  EXPECT_EQ(named->from->name, "Ana \xC3\xA9");  // the header read as Windows-1252
  auto in = to_inbound(*m, "raw");
  EXPECT_EQ(in.message_id.rfind("sha256:", 0), 0u);  // the 8-bit id is not an id
  EXPECT_TRUE(parse_message_ids("\xA0" "bare@id.example").empty());
  EXPECT_EQ(parse_message_ids("bare@id.example").at(0), "bare@id.example");
  ASSERT_EQ(in.thread_ids.size(), 1u);
  EXPECT_EQ(in.thread_ids[0], "ok@x.org");
  boost::system::error_code ec;
  auto v = bj::parse(in.content_json, ec);
  EXPECT_FALSE(ec) << in.content_json;
  EXPECT_TRUE(v.is_object());
}

TEST(Email, Settings) {
  auto s = parse_settings(bj::parse(R"({"address":"Support@Shop.Example","aliases":["help@shop.example"],
      "smtp_host":"relay.example","smtp_port":2525,"smtp_username":"u","smtp_password":"p","smtp_tls":"required"})").as_object());
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->address, "support@shop.example");
  EXPECT_EQ(s->smtp_port, 2525);
  EXPECT_EQ(s->smtp_tls, RelayTls::required);
  EXPECT_EQ(parse_settings(bj::parse(R"({})").as_object()).error().field, "settings.address");
  EXPECT_EQ(parse_settings(bj::parse(R"({"address":"a@b.c","bogus":1})").as_object()).error().field, "settings.bogus");
  EXPECT_EQ(parse_settings(bj::parse(R"({"address":"not-an-address"})").as_object()).error().field, "settings.address");
  EXPECT_EQ(parse_settings(bj::parse(R"({"address":"a+x@b.c"})").as_object()).error().field, "settings.address");
  EXPECT_EQ(parse_settings(bj::parse(R"({"address":"a@b.c","smtp_port":70000})").as_object()).error().field, "settings.smtp_port");
  EXPECT_EQ(parse_settings(bj::parse(R"({"address":"a@b.c","smtp_port":"x1"})").as_object()).error().field, "settings.smtp_port");
  EXPECT_EQ(parse_settings(bj::parse(R"({"address":"a@b.c","smtp_port":"465"})").as_object())->smtp_port, 465);
  EXPECT_EQ(parse_settings(bj::parse(R"({"address":"a@b.c","smtp_tls":"maybe"})").as_object()).error().field, "settings.smtp_tls");
  EXPECT_EQ(parse_settings(bj::parse(R"({"address":"a@b.c","smtp_username":"u"})").as_object()).error().field, "settings.smtp_password");
}

// A mail from `from` whose header block starts with `auth` (each line a whole header).
ParsedMail authed(const std::string& auth, const std::string& from = "Ann <Ann@Customer.Example>") {
  std::string raw = auth + "From: " + from + "\r\nTo: support@shop.example\r\nSubject: hi\r\n\r\nhello\r\n";
  auto m = parse_mail(raw);
  EXPECT_TRUE(m.ok());
  return m.ok() ? *m : ParsedMail{};
}

TEST(Email, SenderVerifiedOnlyByTheTrustedMtasPassingAlignedResult) {
  const std::string id = "mx.shop.example";
  // DMARC pass for the From domain (case-insensitive), comments and a version number skipped.
  EXPECT_TRUE(sender_verified(authed("Authentication-Results: MX.shop.example 1; spf=pass (sender ok) "
                                     "smtp.mailfrom=customer.example;\r\n\tdkim=none; dmarc=pass (p=reject dis=none) "
                                     "header.from=customer.example\r\n"),
                              id));
  // Aligned DKIM: the From domain or a parent of it; header.i's domain too.
  EXPECT_TRUE(sender_verified(authed("Authentication-Results: mx.shop.example; dkim=pass header.d=customer.example "
                                     "header.s=s1\r\n"),
                              id));
  EXPECT_TRUE(sender_verified(authed("Authentication-Results: mx.shop.example; dkim=pass header.d=customer.example\r\n",
                                     "ann@mail.customer.example"),
                              id));
  EXPECT_TRUE(sender_verified(authed("Authentication-Results: mx.shop.example; dkim=pass header.i=@customer.example\r\n"),
                              id));
  // Not verified: no trusted id configured, another MTA's header, failures, SPF alone, an
  // unaligned signer (another domain, a sibling, a bare suffix), a comment saying pass.
  auto good = "Authentication-Results: mx.shop.example; dmarc=pass header.from=customer.example\r\n";
  EXPECT_FALSE(sender_verified(authed(good), ""));
  EXPECT_FALSE(sender_verified(authed(good), "mx.other.example"));
  for (const char* bad : {
           "Authentication-Results: mx.shop.example; dmarc=fail header.from=customer.example\r\n",
           "Authentication-Results: mx.shop.example; dmarc=pass header.from=evil.example\r\n",
           "Authentication-Results: mx.shop.example; spf=pass smtp.mailfrom=customer.example\r\n",
           "Authentication-Results: mx.shop.example; dkim=pass header.d=evil.example\r\n",
           "Authentication-Results: mx.shop.example; dkim=pass header.d=mail.customer.example\r\n",
           "Authentication-Results: mx.shop.example; dkim=pass header.d=example\r\n",
           "Authentication-Results: mx.shop.example; dkim=fail (dkim=pass header.d=customer.example) "
           "header.d=customer.example\r\n",
           "Authentication-Results: mx.shop.example; none\r\n",
           "Authentication-Results: mx.shop.example.evil; dmarc=pass header.from=customer.example\r\n",
       })
    EXPECT_FALSE(sender_verified(authed(bad), id)) << bad;
  // The topmost header of the trusted MTA decides: a forged "pass" below its "fail" counts for nothing.
  EXPECT_FALSE(sender_verified(authed("Authentication-Results: mx.shop.example; dmarc=fail header.from=customer.example\r\n"
                                      "Authentication-Results: mx.shop.example; dmarc=pass header.from=customer.example\r\n"),
                               id));
  // Another MTA's header above it is skipped.
  EXPECT_TRUE(sender_verified(authed("Authentication-Results: relay.other; dmarc=fail header.from=customer.example\r\n"
                                     "Authentication-Results: mx.shop.example; dmarc=pass header.from=customer.example\r\n"),
                              id));
}

TEST(Email, TrustedAuthservIdSetting) {
  auto ok = parse_settings(bj::parse(R"({"address":"support@shop.example","trusted_authserv_id":"MX.Shop.Example"})").as_object());
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->trusted_authserv_id, "mx.shop.example");
  auto bad = parse_settings(bj::parse(R"({"address":"support@shop.example","trusted_authserv_id":"mx; dmarc=pass"})").as_object());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "settings.trusted_authserv_id");
  EXPECT_EQ(parse_settings(bj::parse(R"({"address":"support@shop.example"})").as_object())->trusted_authserv_id, "");
}

TEST(Email, PlusAddressing) {
  auto r = split_plus("Support+cnv_123@Shop.Example");
  EXPECT_EQ(r.base, "support@shop.example");
  EXPECT_EQ(r.token, "cnv_123");
  EXPECT_EQ(split_plus("a@b.c").token, "");
  Settings s;
  s.address = "support@shop.example";
  EXPECT_EQ(reply_address(s, "cnv_9"), "support+cnv_9@shop.example");
}

TEST(Email, FilesBecomeBase64PartsOfAMixedMessage) {
  Settings s;
  s.address = "support@shop.example";
  Reply r;
  r.to_address = "ana@c.example";
  r.subject = "Invoice";
  r.text = "Here it is";
  r.message_id = "m.1@shop.example";
  r.date_ms = 1'700'000'000'000;
  std::string bytes(200, '\xab');
  r.attachments.push_back({"application/pdf", "Fattura n°7.pdf", 200, "", std::make_shared<const std::string>(bytes), ""});
  r.attachments.push_back({"image/png", "a\"b.png", 3, "", std::make_shared<const std::string>("png"), ""});
  std::string out = compose_reply(s, r);
  size_t ct = out.find("Content-Type: multipart/mixed;\r\n boundary=\"=_bottega_mixed_");
  ASSERT_NE(ct, std::string::npos) << out;
  std::string boundary = out.substr(out.find('"', ct) + 1);
  boundary = boundary.substr(0, boundary.find('"'));
  // The text part first, then each file; every line within 78 characters.
  size_t text = out.find("--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8");
  size_t pdf = out.find("--" + boundary + "\r\nContent-Type: application/pdf; name=\"Fattura n_7.pdf\"\r\n"
                        "Content-Disposition: attachment; filename*=UTF-8''Fattura%20n%C2%B07.pdf\r\n"
                        "Content-Transfer-Encoding: base64\r\n\r\n");
  ASSERT_NE(text, std::string::npos) << out;
  ASSERT_NE(pdf, std::string::npos) << out;
  EXPECT_LT(text, pdf);
  std::string b64 = bottega::crypto::base64(bytes);
  EXPECT_NE(out.find(b64.substr(0, 76) + "\r\n" + b64.substr(76, 76) + "\r\n"), std::string::npos);
  // A quote cannot stand in a quoted parameter: such a name goes RFC 2231 too; name= drops it.
  EXPECT_NE(out.find("name=\"ab.png\"\r\nContent-Disposition: attachment; filename*=UTF-8''a%22b.png\r\n"),
            std::string::npos) << out;
  EXPECT_EQ(out.substr(out.size() - boundary.size() - 6), "--" + boundary + "--\r\n");
  for (size_t at = 0, eol; (eol = out.find("\r\n", at)) != std::string::npos; at = eol + 2)
    EXPECT_LE(eol - at, 78u) << out.substr(at, eol - at);
}

TEST(Email, ReplyCarriesThreadingHeaders) {
  Settings s;
  s.address = "support@shop.example";
  s.from_name = "Shop Support";
  Reply r;
  r.to_address = "ana@c.example";
  r.to_name = "Ana María";
  r.subject = "Order 42";
  r.text = "Hello Ana,\n.leading dot and ünïcode \nbye";
  r.message_id = outbound_message_id(s, "msg_1", "cnv_1");
  r.in_reply_to = "m2@c.example";
  r.references = {"m1@c.example", "o1@shop.example"};
  r.conversation_id = "cnv_1";
  r.date_ms = 1'700'000'000'000;
  std::string out = compose_reply(s, r);
  EXPECT_NE(out.find("From: \"Shop Support\" <support@shop.example>\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("To: =?UTF-8?B?"), std::string::npos) << out;
  EXPECT_NE(out.find("Reply-To: support+cnv_1@shop.example\r\n"), std::string::npos);
  EXPECT_NE(out.find("Subject: Re: Order 42\r\n"), std::string::npos);
  EXPECT_NE(out.find("Message-ID: <msg_1.cnv_1@shop.example>\r\n"), std::string::npos);
  EXPECT_NE(out.find("In-Reply-To: <m2@c.example>\r\n"), std::string::npos);
  EXPECT_NE(out.find("References: <m1@c.example>\r\n <o1@shop.example>\r\n <m2@c.example>\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"), std::string::npos) << out;
  // The body round-trips through the decoder; trailing space and leading dot are encoded.
  std::string body = out.substr(out.find("\r\n\r\n") + 4);
  EXPECT_EQ(body.find("\r\n."), std::string::npos);
  std::string decoded = decode_quoted_printable(body);
  EXPECT_EQ(decoded, "Hello Ana,\r\n.leading dot and ünïcode \r\nbye\r\n");
  // A first mail (not an answer) keeps its subject.
  {
    Reply first = r;
    first.in_reply_to.clear();
    first.references.clear();
    first.subject = "Your verification code";
    EXPECT_NE(compose_reply(s, first).find("Subject: Your verification code\r\n"), std::string::npos);
  }
  // A subject already starting with Re: is not prefixed twice; header injection is neutralized.
  r.subject = "RE: x\r\nBcc: evil@x.org";
  out = compose_reply(s, r);
  EXPECT_NE(out.find("Subject: RE: x  Bcc: evil@x.org\r\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("\r\nBcc:"), std::string::npos);
}

TEST(Email, ReferencesAreCappedKeepingTheFirst) {
  Settings s;
  s.address = "support@shop.example";
  Reply r;
  r.to_address = "a@x.org";
  r.message_id = "m@shop.example";
  r.in_reply_to = "last@x";
  for (int i = 0; i < 30; ++i) r.references.push_back("r" + std::to_string(i) + "@x");
  auto m = parse_mail(compose_reply(s, r));
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->references.size(), 20u);
  EXPECT_EQ(m->references.front(), "r0@x");
  EXPECT_EQ(m->references.back(), "last@x");
}

TEST(Email, ProductCardMailHasAnEscapedHtmlAlternative) {
  Settings s;
  s.address = "support@shop.example";
  auto content = boost::json::parse(
      R"({"product":{"sku":"TR-42","title":"Trail <runner> & \"co\"","subtitle":"€129.00 · In stock",)"
      R"("description":"<script>alert(1)</script>","image_url":"https://img.example/r.jpg","available":true},)"
      R"("link":{"title":"View product","url":"https://shop.example/p?a=1&b=2"}})").as_object();
  Reply r;
  r.to_address = "ana@customer.example";
  r.message_id = "msg_9.cnv_1@shop.example";
  r.text = "Trail <runner> & \"co\"\n€129.00 · In stock\n\nView product: https://shop.example/p?a=1&b=2";
  r.html = message_html(r.text, content);
  std::string out = compose_reply(s, r);
  EXPECT_NE(out.find("Content-Type: multipart/alternative; boundary=\"=_bottega_"), std::string::npos) << out;
  auto m = parse_mail(out);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->text, r.text);  // the text part round-trips unchanged
  // Every value is escaped: no markup from the catalog survives as markup.
  EXPECT_NE(m->html.find("Trail &lt;runner&gt; &amp; &quot;co&quot;"), std::string::npos) << m->html;
  EXPECT_NE(m->html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos) << m->html;
  EXPECT_EQ(m->html.find("<script>"), std::string::npos);
  EXPECT_NE(m->html.find("<img src=\"https://img.example/r.jpg\""), std::string::npos) << m->html;
  EXPECT_NE(m->html.find("href=\"https://shop.example/p?a=1&amp;b=2\""), std::string::npos) << m->html;
  // Content that is no card keeps the mail text/plain.
  EXPECT_EQ(message_html("hi", boost::json::object{}), "");
}

TEST(Email, SeveralProductsAreAnHtmlListOfEscapedCards) {
  auto content = boost::json::parse(
      R"({"heading":"Our picks","intro":"For <you>","products":[)"
      R"({"sku":"A","title":"Boot <b>","subtitle":"€1.00 · In stock","image_url":"https://img.example/a.jpg",)"
      R"("link":{"title":"View product","url":"https://shop.example/a?x=1&y=2"},"choice":{"id":"buy:A","title":"Add to cart"}},)"
      R"J({"sku":"B","title":"Sock","subtitle":"€2.00 · In stock","image_url":"javascript:alert(1)"}]})J").as_object();
  std::string html = message_html("text", content);
  EXPECT_NE(html.find("<h3>For &lt;you&gt;</h3>"), std::string::npos) << html;
  EXPECT_NE(html.find("Boot &lt;b&gt;"), std::string::npos) << html;
  EXPECT_NE(html.find("<img src=\"https://img.example/a.jpg\""), std::string::npos) << html;
  EXPECT_NE(html.find("href=\"https://shop.example/a?x=1&amp;y=2\""), std::string::npos) << html;
  EXPECT_NE(html.find("Sock"), std::string::npos) << html;
  EXPECT_EQ(html.find("javascript:"), std::string::npos) << html;
  EXPECT_EQ(html.find("buy:A"), std::string::npos) << html;  // nothing to tap in a mail
}

}  // namespace
}  // namespace bottega::channels::email
