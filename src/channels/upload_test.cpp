#include "channels/upload.hpp"

#include <gtest/gtest.h>

#include "core/crypto.hpp"

namespace bottega::channels::upload {
namespace {

const std::string kPng = std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16) + std::string(40, 'x');
const std::string kPdf = "%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n";
const std::string kJpeg = std::string("\xff\xd8\xff\xe0\0\x10JFIF", 10) + std::string(20, 'y');

TEST(UploadCheck, AcceptsImagesAndPdfThatAreWhatTheyClaim) {
  auto png = check("image/png", "photo.png", kPng, 1000);
  ASSERT_TRUE(png.ok()) << png.error().message;
  EXPECT_EQ(png->mime_type, "image/png");
  EXPECT_EQ(png->filename, "photo.png");
  auto pdf = check("Application/PDF; charset=binary", "Fattura n°7.pdf", kPdf, 1000);
  ASSERT_TRUE(pdf.ok()) << pdf.error().message;
  EXPECT_EQ(pdf->mime_type, "application/pdf");
  EXPECT_EQ(pdf->filename, "Fattura n°7.pdf");
  auto jpg = check("image/jpg", "a.jpg", kJpeg, 1000);  // a common alias, stored as the real type
  ASSERT_TRUE(jpg.ok());
  EXPECT_EQ(jpg->mime_type, "image/jpeg");
  // Types without a signature check pass as claimed.
  auto txt = check("text/plain", "notes.txt", "hello", 1000);
  ASSERT_TRUE(txt.ok());
  EXPECT_EQ(txt->mime_type, "text/plain");
  EXPECT_TRUE(check("application/zip", "a.zip", "PK\x03\x04 rest", 1000).ok());
}

TEST(UploadCheck, APathKeepsItsLastComponent) {
  EXPECT_EQ(check("text/plain", "C:\\Users\\ann\\a.txt", "x", 10)->filename, "a.txt");
  EXPECT_EQ(check("text/plain", "../../etc/passwd", "x", 10)->filename, "passwd");
}

TEST(UploadCheck, RefusesWhatABrowserWouldRunWithTheField) {
  for (const char* t : {"text/html", "image/svg+xml", "application/xhtml+xml", "text/xml", "application/xml",
                        "application/javascript", "text/javascript", "text/css", "application/vnd.foo+xml",
                        "TEXT/HTML; charset=utf-8", "multipart/form-data; boundary=x"}) {
    auto r = check(t, "a.bin", "<html><script>alert(1)</script>", 1000);
    ASSERT_FALSE(r.ok()) << t;
    EXPECT_EQ(r.error().code, "media_type_not_allowed") << t;
    EXPECT_EQ(r.error().field, "Content-Type");
    EXPECT_EQ(r.error().errc, Errc::invalid_argument);
  }
}

TEST(UploadCheck, ImagesAndPdfMustCarryTheirSignature) {
  auto html_as_png = check("image/png", "x.png", "<html>", 1000);
  ASSERT_FALSE(html_as_png.ok());
  EXPECT_EQ(html_as_png.error().code, "media_type_mismatch");
  EXPECT_EQ(html_as_png.error().field, "Content-Type");
  auto pdf_as_png = check("image/png", "x.png", kPdf, 1000);
  ASSERT_FALSE(pdf_as_png.ok());
  EXPECT_NE(pdf_as_png.error().message.find("application/pdf"), std::string::npos);
  EXPECT_EQ(check("application/pdf", "x.pdf", kPng, 1000).error().code, "media_type_mismatch");
  EXPECT_EQ(check("image/jpeg", "x.jpg", kPng, 1000).error().code, "media_type_mismatch");
  // An image type we cannot check is refused rather than passed unchecked.
  EXPECT_EQ(check("image/x-icon", "x.ico", std::string("\0\0\1\0", 4), 1000).error().code, "media_type_not_allowed");
}

TEST(UploadCheck, SizeNameAndTypeErrorsNameTheirField) {
  auto big = check("text/plain", "a.txt", std::string(1001, 'a'), 1000);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, "media_too_large");
  EXPECT_EQ(big.error().errc, Errc::payload_too_large);
  EXPECT_TRUE(check("text/plain", "a.txt", std::string(1000, 'a'), 1000).ok());
  EXPECT_EQ(check("text/plain", "a.txt", "", 1000).error().code, "empty_file");
  EXPECT_EQ(check("text/plain", "", "x", 1000).error().field, "filename");
  EXPECT_EQ(check("text/plain", "dir/", "x", 1000).error().code, "missing_field");
  EXPECT_EQ(check("text/plain", "a\nb.txt", "x", 1000).error().code, "invalid_filename");
  EXPECT_EQ(check("text/plain", "a\xff.txt", "x", 1000).error().code, "invalid_filename");
  EXPECT_EQ(check("text/plain", std::string(256, 'a'), "x", 1000).error().code, "invalid_filename");
  EXPECT_EQ(check("text/plain", "..", "x", 1000).error().code, "invalid_filename");
  EXPECT_EQ(check("", "a.txt", "x", 1000).error().field, "Content-Type");
  EXPECT_EQ(check("plain", "a.txt", "x", 1000).error().code, "invalid_content_type");
  EXPECT_EQ(check("text/plain/x", "a.txt", "x", 1000).error().code, "invalid_content_type");
  EXPECT_EQ(check("text/pl ain", "a.txt", "x", 1000).error().code, "invalid_content_type");
}

TEST(UploadSniff, KnowsTheSignatures) {
  EXPECT_EQ(sniff(kPng), "image/png");
  EXPECT_EQ(sniff(kJpeg), "image/jpeg");
  EXPECT_EQ(sniff("GIF89a......"), "image/gif");
  EXPECT_EQ(sniff(std::string("RIFF\x10\0\0\0WEBPVP8 ", 16)), "image/webp");
  EXPECT_EQ(sniff(std::string("\0\0\0\x18" "ftypheic\0\0", 14)), "image/heic");
  EXPECT_EQ(sniff(kPdf), "application/pdf");
  EXPECT_EQ(sniff(""), "");
  EXPECT_EQ(sniff("\x89PN"), "");  // truncated
  EXPECT_EQ(sniff("RIFF"), "");
}

TEST(PublicUrl, SignedUrlVerifiesUntilItExpires) {
  std::string url = signed_url("https://shop.example", "k3y-k3y-k3y", "ten_A", "med_1", "Fattura 7.pdf", 2000);
  EXPECT_EQ(url.rfind("https://shop.example/media/med_1/Fattura%207.pdf?exp=2000&sig=", 0), 0u) << url;
  std::string sig = url.substr(url.find("&sig=") + 5);
  EXPECT_EQ(sig, signature("k3y-k3y-k3y", "ten_A", "med_1", 2000));
  EXPECT_EQ(sig, crypto::base64url(crypto::hmac_sha256("k3y-k3y-k3y", "ten_A|med_1|2000")));
  EXPECT_TRUE(verify("k3y-k3y-k3y", "ten_A", "med_1", "2000", sig, 1999).ok());
  EXPECT_TRUE(verify("k3y-k3y-k3y", "ten_A", "med_1", "2000", sig, 2000).ok());
  auto expired = verify("k3y-k3y-k3y", "ten_A", "med_1", "2000", sig, 2001);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code, "url_expired");
  EXPECT_EQ(expired.error().errc, Errc::forbidden);
}

TEST(PublicUrl, TamperedSignaturesAreRefused) {
  std::string sig = signature("key", "ten_A", "med_1", 2000);
  auto bad = [&](std::string_view key, std::string_view tenant, std::string_view id, std::string_view exp,
                 std::string_view s) {
    auto r = verify(key, tenant, id, exp, s, 1000);
    return !r.ok() && r.error().code == "invalid_signature";
  };
  EXPECT_TRUE(bad("key", "ten_B", "med_1", "2000", sig));   // another shop's file under this link
  EXPECT_TRUE(bad("key", "ten_A", "med_2", "2000", sig));   // another file
  EXPECT_TRUE(bad("key", "ten_A", "med_1", "3000", sig));   // a later expiry
  EXPECT_TRUE(bad("other", "ten_A", "med_1", "2000", sig)); // another server's key
  EXPECT_TRUE(bad("", "ten_A", "med_1", "2000", signature("", "ten_A", "med_1", 2000)));  // no key: nothing verifies
  std::string flipped = sig;
  flipped[3] = flipped[3] == 'A' ? 'B' : 'A';
  EXPECT_TRUE(bad("key", "ten_A", "med_1", "2000", flipped));
  EXPECT_TRUE(bad("key", "ten_A", "med_1", "2000", ""));
  EXPECT_TRUE(bad("key", "ten_A", "med_1", "", sig));
  EXPECT_TRUE(bad("key", "ten_A", "med_1", "2000x", sig));
  EXPECT_EQ(verify("key", "ten_A", "med_1", "-1", signature("key", "ten_A", "med_1", -1), 1000).error().code,
            "url_expired");
}

}  // namespace
}  // namespace bottega::channels::upload
