#include "channels/attachments.hpp"

#include <gtest/gtest.h>

#include "channels/attachments_testing.hpp"
#include "channels/render.hpp"

namespace bottega::channels::attachments {
namespace {

using channels::testing::file;

TEST(Attachments, LinkLines) {
  auto a = file("a.pdf", "application/pdf", 1), b = file("b c.png", "image/png", 1);
  EXPECT_EQ(link_line(a), "a.pdf: https://shop.example/media/m1/a.pdf?exp=1&sig=ab");
  EXPECT_EQ(with_links("Hi", {}), "Hi");
  EXPECT_EQ(with_links("", {&a}), "a.pdf: https://shop.example/media/m1/a.pdf?exp=1&sig=ab");
  EXPECT_EQ(with_links("Hi", {&a, &b}),
            "Hi\n\na.pdf: https://shop.example/media/m1/a.pdf?exp=1&sig=ab\n"
            "b c.png: https://shop.example/media/m1/b c.png?exp=1&sig=ab");
}

TEST(Attachments, BaseType) {
  EXPECT_EQ(base_type("Image/JPEG; charset=x"), "image/jpeg");
  EXPECT_EQ(base_type(" application/pdf "), "application/pdf");
}

bool images_only(std::string_view t) { return t == "image"; }

TEST(Attachments, PlanCaptionLeadAndLinks) {
  auto classify = [](const OutboundAttachment& f) -> std::string {
    return f.mime_type == "image/png" ? "image" : f.mime_type == "audio/ogg" ? "audio" : "";
  };
  OutboundMessage msg;
  msg.text = "Hello";
  msg.attachments = {file("a.png", "image/png", 1), file("z.zip", "application/zip", 1)};
  auto p = plan(msg, split(msg.attachments, classify), 100, images_only);
  EXPECT_FALSE(p.lead);
  ASSERT_EQ(p.media.size(), 1u);
  EXPECT_EQ(p.media[0].file, &msg.attachments[0]);
  EXPECT_EQ(p.caption, "Hello\n\nz.zip: https://shop.example/media/m1/z.zip?exp=1&sig=ab");
  // Too long for the caption (in characters, not bytes): the text goes first.
  p = plan(msg, split(msg.attachments, classify), 10, images_only);
  ASSERT_TRUE(p.lead);
  EXPECT_EQ(p.lead->text, "Hello\n\nz.zip: https://shop.example/media/m1/z.zip?exp=1&sig=ab");
  EXPECT_TRUE(p.lead->attachments.empty());
  EXPECT_TRUE(p.caption.empty());
  msg.text = "\xC3\xA8\xC3\xA8";  // two characters, four bytes
  msg.attachments = {file("a.png", "image/png", 1)};
  EXPECT_EQ(plan(msg, split(msg.attachments, classify), 2, images_only).caption, msg.text);
  // First file takes no caption; no captions at all.
  msg.attachments = {file("n.ogg", "audio/ogg", 1), file("a.png", "image/png", 1)};
  p = plan(msg, split(msg.attachments, classify), 100, images_only);
  ASSERT_TRUE(p.lead);
  EXPECT_EQ(p.media.size(), 2u);
  EXPECT_TRUE(plan(msg, split(msg.attachments, classify), 0, nullptr).lead);
  // No text: only the files.
  msg.text.clear();
  p = plan(msg, split(msg.attachments, classify), 100, images_only);
  EXPECT_FALSE(p.lead);
  EXPECT_TRUE(p.caption.empty());
  // Choices keep the text (and the choices) on a message of their own.
  msg.text = "Pick";
  msg.choices = {{"a", "A", ""}};
  msg.attachments = {file("a.png", "image/png", 1)};
  p = plan(msg, split(msg.attachments, classify), 100, images_only);
  ASSERT_TRUE(p.lead);
  EXPECT_EQ(p.lead->choices.size(), 1u);
  // Nothing native: the whole message is the lead.
  msg.choices.clear();
  msg.attachments = {file("z.zip", "application/zip", 1)};
  p = plan(msg, split(msg.attachments, classify), 100, images_only);
  ASSERT_TRUE(p.lead);
  EXPECT_TRUE(p.media.empty());
  EXPECT_EQ(p.lead->text, "Pick\n\nz.zip: https://shop.example/media/m1/z.zip?exp=1&sig=ab");
}

TEST(Attachments, ValidateAllowsEmptyTextWithFiles) {
  OutboundMessage msg;
  EXPECT_EQ(render::validate("to", msg).error().field, "text");
  msg.attachments = {file("a.png", "image/png", 1)};
  EXPECT_TRUE(render::validate("to", msg).ok());
  msg.attachments[0].mime_type.clear();
  EXPECT_EQ(render::validate("to", msg).error().field, "attachments[0].mime_type");
  msg.attachments[0].mime_type = "image/png";
  msg.attachments[0].public_url = "javascript:alert(1)";
  EXPECT_EQ(render::validate("to", msg).error().field, "attachments[0].public_url");
  msg.attachments[0].public_url.clear();  // no link is fine for channels that send the bytes
  EXPECT_TRUE(render::validate("to", msg).ok());
  EXPECT_EQ(check(msg.attachments, true, false).error().field, "attachments[0].public_url");
  EXPECT_TRUE(check(msg.attachments, false, true).ok());
}

TEST(Attachments, MultipartBodyAndBoundary) {
  auto m = multipart({{"chat_id", "42"}, {"photo", std::string("\0\r\n--x", 6), "a \"b\"\r\n.png", "image/png"}});
  ASSERT_EQ(m.content_type.rfind("multipart/form-data; boundary=bottega-", 0), 0u);
  std::string b = m.content_type.substr(m.content_type.find('=') + 1);
  EXPECT_EQ(m.body, "--" + b + "\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n42\r\n--" + b +
                        "\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a \\\"b\\\"  .png\"\r\n"
                        "Content-Type: image/png\r\n\r\n" + std::string("\0\r\n--x", 6) + "\r\n--" + b + "--\r\n");
  // The same parts give the same body (requests are reproducible).
  auto again = multipart({{"chat_id", "42"}, {"photo", std::string("\0\r\n--x", 6), "a \"b\"\r\n.png", "image/png"}});
  EXPECT_EQ(again.body, m.body);
}

}  // namespace
}  // namespace bottega::channels::attachments
