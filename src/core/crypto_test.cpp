#include "core/crypto.hpp"

#include <gtest/gtest.h>

#include <set>

#include "core/stripe_vector_test.hpp"

namespace bottega::crypto {
namespace {

using testdata::kStripeBody;
using testdata::kStripeT;
using testdata::kStripeV1;

TEST(Digest, Sha256KnownAnswers) {
  // FIPS 180-2 examples.
  EXPECT_EQ(hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Hmac, GitHubXHubSignature256Vector) {
  EXPECT_EQ(hex(hmac_sha256("It's a Secret to Everybody", "Hello, World!")),
            "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
}

TEST(Hmac, TwilioSha1Base64Vector) {
  EXPECT_EQ(base64(hmac_sha1("12345",
                             "https://mycompany.com/myapp.php?foo=1&bar=2CallSidCA1234567890ABCDE"
                             "Caller+14158675309Digits1234From+14158675309To+18005551212")),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
}

TEST(Hmac, EmptyKeyAndDataAreFine) {
  // RFC 4231 has no empty-key case; this is the well-known HMAC-SHA256("", "") value.
  EXPECT_EQ(hex(hmac_sha256("", "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(EqualCt, ComparesContentAndLength) {
  EXPECT_TRUE(equal_ct("", ""));
  EXPECT_TRUE(equal_ct("abc", "abc"));
  EXPECT_FALSE(equal_ct("abc", "abd"));
  EXPECT_FALSE(equal_ct("abc", "abcd"));
  EXPECT_FALSE(equal_ct(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST(Random, BytesHaveTheAskedLengthAndDiffer) {
  EXPECT_EQ(random_bytes(0).size(), 0u);
  EXPECT_EQ(random_bytes(33).size(), 33u);
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(random_bytes(16));
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(Random, TokenIsUnpaddedBase64url) {
  std::string t = random_token();
  EXPECT_EQ(t.size(), 43u);  // 32 bytes
  EXPECT_EQ(t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  ASSERT_TRUE(unbase64url(t));
  EXPECT_EQ(unbase64url(t)->size(), 32u);
}

TEST(Hex, RoundTripAndRejects) {
  EXPECT_EQ(hex(std::string("\x00\xff\x10", 3)), "00ff10");
  EXPECT_EQ(unhex("00FF10"), std::string("\x00\xff\x10", 3));
  EXPECT_EQ(unhex(""), std::string());
  EXPECT_FALSE(unhex("abc"));
  EXPECT_FALSE(unhex("zz"));
  EXPECT_FALSE(unhex("0g"));
}

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> cases[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (auto [plain, enc] : cases) {
    EXPECT_EQ(base64(plain), enc);
    EXPECT_EQ(unbase64(enc), std::string(plain)) << enc;
    std::string url = enc;
    while (!url.empty() && url.back() == '=') url.pop_back();
    EXPECT_EQ(base64url(plain), url);
    EXPECT_EQ(unbase64url(url), std::string(plain)) << url;
  }
}

TEST(Base64, AlphabetsDifferAndDecodersAreStrict) {
  std::string bin("\xfb\xff\xbf", 3);
  EXPECT_EQ(base64(bin), "+/+/");
  EXPECT_EQ(base64url(bin), "-_-_");
  EXPECT_FALSE(unbase64("-_-_"));
  EXPECT_FALSE(unbase64url("+/+/"));
  EXPECT_FALSE(unbase64("Zg="));      // bad length
  EXPECT_FALSE(unbase64("Zg"));       // padding required
  EXPECT_FALSE(unbase64("Z=g="));     // padding in the middle
  EXPECT_FALSE(unbase64("Zh=="));     // non-zero unused bits
  EXPECT_FALSE(unbase64("Zm9v\n"));   // no whitespace
  EXPECT_FALSE(unbase64url("Zg=="));  // no padding in base64url
  EXPECT_FALSE(unbase64url("Z"));     // impossible length
}

TEST(Password, RoundTripAndFormat) {
  std::string h = password_hash("correct horse battery staple");
  EXPECT_EQ(h.rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << h;
  EXPECT_TRUE(password_verify(h, "correct horse battery staple"));
  EXPECT_FALSE(password_verify(h, "correct horse battery stapl"));
  EXPECT_FALSE(password_verify(h, ""));
}

TEST(Password, SaltedSoHashesDiffer) { EXPECT_NE(password_hash("pw"), password_hash("pw")); }

TEST(Password, GarbageEncodingFailsClosed) {
  EXPECT_FALSE(password_verify("", "pw"));
  EXPECT_FALSE(password_verify("$argon2id$garbage", "pw"));
  std::string h = password_hash("pw");
  std::string i_variant = "$argon2i$" + h.substr(10);
  EXPECT_FALSE(password_verify(i_variant, "pw"));
}

TEST(WebhookSignature, StripeOfficialVector) {
  ASSERT_EQ(kStripeBody.size(), 484u);
  EXPECT_EQ(webhook_signature("webhook_secret", kStripeT, kStripeBody),
            std::string("t=1533204620,v1=") + kStripeV1);
}

TEST(WebhookSignature, VerifiesStripeHeaderWithinTolerance) {
  std::string header = std::string("t=1533204620,v1=") + kStripeV1 +
                       ",v0=63f3a72374a733066c4be69ed7f8e5ac85c22c9f0a6a612ab9a025a9e4ee7eef";
  EXPECT_TRUE(verify_webhook_signature("webhook_secret", header, kStripeBody, kStripeT + 100, 300));
  EXPECT_TRUE(verify_webhook_signature("webhook_secret", header, kStripeBody, kStripeT - 300, 300));
  EXPECT_FALSE(
      verify_webhook_signature("webhook_secret", header, kStripeBody, kStripeT + 400, 300));
  EXPECT_FALSE(
      verify_webhook_signature("webhook_secret", header, kStripeBody, kStripeT - 301, 300));
}

TEST(WebhookSignature, RejectsTamperingAnywhere) {
  std::string header = std::string("t=1533204620,v1=") + kStripeV1;
  const int64_t now = kStripeT + 100;
  std::string body = kStripeBody;
  body[10] ^= 1;
  EXPECT_FALSE(verify_webhook_signature("webhook_secret", header, body, now));
  EXPECT_FALSE(verify_webhook_signature("webhook_secret", header, kStripeBody + " ", now));
  EXPECT_FALSE(verify_webhook_signature("webhook_secreT", header, kStripeBody, now));
  std::string bad_mac = header;
  bad_mac.back() = bad_mac.back() == '7' ? '8' : '7';
  EXPECT_FALSE(verify_webhook_signature("webhook_secret", bad_mac, kStripeBody, now));
  // Changing t breaks the MAC even when the new t is within tolerance.
  std::string other_t = std::string("t=1533204621,v1=") + kStripeV1;
  EXPECT_FALSE(verify_webhook_signature("webhook_secret", other_t, kStripeBody, now));
}

TEST(WebhookSignature, AcceptsAnyOfSeveralV1Entries) {
  std::string good = std::string("v1=") + kStripeV1;
  std::string wrong = "v1=" + std::string(64, 'a');
  const int64_t now = kStripeT;
  EXPECT_TRUE(verify_webhook_signature("webhook_secret", "t=1533204620," + wrong + "," + good,
                                       kStripeBody, now));
  EXPECT_TRUE(
      verify_webhook_signature("webhook_secret", good + ", t=1533204620", kStripeBody, now));
  EXPECT_FALSE(
      verify_webhook_signature("webhook_secret", "t=1533204620," + wrong, kStripeBody, now));
}

TEST(WebhookSignature, RejectsMalformedHeaders) {
  std::string v1 = std::string("v1=") + kStripeV1;
  const int64_t now = kStripeT;
  auto verify = [&](const std::string& h) {
    return verify_webhook_signature("webhook_secret", h, kStripeBody, now);
  };
  EXPECT_FALSE(verify(""));
  EXPECT_FALSE(verify(v1));                                 // no t
  EXPECT_FALSE(verify("t=1533204620"));                     // no v1
  EXPECT_FALSE(verify("t=1533204620,t=1533204620," + v1));  // two t
  EXPECT_FALSE(verify("t=+1533204620," + v1));
  EXPECT_FALSE(verify("t=1533204620x," + v1));
  EXPECT_FALSE(verify("t=-1," + v1));
  EXPECT_FALSE(verify("t=99999999999999999999," + v1));
  EXPECT_FALSE(verify("t=1533204620,v1=" + std::string(kStripeV1).substr(2)));
  EXPECT_FALSE(verify("t=1533204620,v0=" + std::string(kStripeV1)));
}

TEST(WebhookSignature, ExtremeClocksDoNotOverflow) {
  std::string h = webhook_signature("s", 0, "b");
  EXPECT_TRUE(verify_webhook_signature("s", h, "b", 0, 0));
  EXPECT_FALSE(verify_webhook_signature("s", h, "b", INT64_MIN, 300));
  EXPECT_FALSE(verify_webhook_signature("s", h, "b", INT64_MAX, 300));
  EXPECT_TRUE(verify_webhook_signature("s", h, "b", INT64_MAX, INT64_MAX));
  EXPECT_FALSE(verify_webhook_signature("s", h, "b", 0, -1));
}

TEST(WebhookSignature, RoundTripAndUppercaseHex) {
  std::string h = webhook_signature("whsec_abc", 1700000000, "{}");
  EXPECT_TRUE(verify_webhook_signature("whsec_abc", h, "{}", 1700000000));
  std::string upper = h;
  for (size_t i = h.find("v1=") + 3; i < upper.size(); ++i)
    upper[i] = static_cast<char>(toupper(upper[i]));
  EXPECT_TRUE(verify_webhook_signature("whsec_abc", upper, "{}", 1700000000));
}

}  // namespace
}  // namespace bottega::crypto
