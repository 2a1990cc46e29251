#include "core/model_json.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <string>
#include <vector>

namespace bottega {
namespace {

// message_json writes the message.created payload directly: it must be exactly what serializing
// to_json(m) gives (webhook receivers and realtime clients see these bytes).
TEST(MessageJson, SameBytesAsSerializingTheObject) {
  std::vector<std::string> texts = {"", "plain text", "quote \" and backslash \\ and slash /",
                                    std::string("controls \x01\x1f\b\f\n\r\t and NUL ") + std::string(1, '\0') + "!",
                                    "accents Città, Grüße, emoji \xF0\x9F\x98\x80, DEL \x7f",
                                    "invalid UTF-8 \xC3 \xFF"};
  std::vector<std::string> contents = {"", "{}", "{\"opt_out\":\"stop\",\"no_auto_reply\":true}",
                                       "{ \"id\" : \"yes\",\n \"title\":\"Yes \\\"sure\\\"\" }", "not json", "[1,2]",
                                       "{\"n\":1.5e3,\"u\":\"\\u00e9\"}"};
  int checked = 0;
  for (const auto& text : texts)
    for (const auto& content : contents)
      for (int variant = 0; variant < 2; ++variant) {
        Message m;
        m.id = variant ? "msg_\"odd\"" : "msg_01HXYZ";
        m.conversation_id = "cnv_1";
        m.direction = variant ? "out" : "in";
        m.author_kind = variant ? "agent" : "contact";
        if (variant) m.author_id = "agt_\n1";
        m.kind = "text";
        m.text = text;
        m.content_json = content;
        m.delivery_state = variant ? "failed" : "delivered";
        if (variant) m.delivery_error = "provider said \"no\"";
        m.created_at = variant ? 0 : 1795000000123;
        EXPECT_EQ(message_json(m), boost::json::serialize(to_json(m))) << "text: " << text << " content: " << content;
        ++checked;
      }
  EXPECT_EQ(checked, 84);
}

TEST(MessageJson, JsonStringsEscapeAsBoostJsonDoes) {
  for (std::string s : {std::string("a"), std::string("\"\\"), std::string("\x1f\x7f\xC3\xA9"), std::string()}) {
    std::string out;
    append_json_string(out, s);
    EXPECT_EQ(out, boost::json::serialize(boost::json::string_view(s.data(), s.size())));
  }
}

}  // namespace
}  // namespace bottega
