// The listeners' shared reading of message.created events (pipeline/listener.hpp).
#include "pipeline/listener.hpp"

#include <gtest/gtest.h>

namespace bottega::pipeline {
namespace {

Event created(const std::string& data, bool internal = false, std::string_view type = event_type::kMessageCreated) {
  Event e;
  e.tenant_id = "ten_A";
  e.type = std::string(type);
  e.conversation_id = "cnv_1";
  e.internal = internal;
  e.payload_json = R"({"type":")" + std::string(type) + R"(","id":"evt_1","data":)" + data + "}";
  return e;
}

TEST(CreatedMessage, ReadsWhatTheListenersNeed) {
  auto m = created_message(created(
      R"({"id":"msg_1","kind":"media","direction":"in","author":{"kind":"contact","id":"ct_1"},"content":{"no_auto_reply":true}})"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->tenant_id, "ten_A");
  EXPECT_EQ(m->conversation_id, "cnv_1");
  EXPECT_EQ(m->message_id, "msg_1");
  EXPECT_EQ(m->kind, "media");
  EXPECT_EQ(m->direction, "in");
  EXPECT_EQ(m->author_kind, "contact");
  EXPECT_TRUE(m->no_auto_reply);
  // Absent fields are empty; no content means an answer is wanted.
  m = created_message(created(R"({"id":"msg_2"})"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->author_kind, "");
  EXPECT_FALSE(m->no_auto_reply);
}

TEST(CreatedMessage, IgnoresOtherEventsNotesAndBadPayloads) {
  const std::string ok = R"({"id":"msg_1","kind":"text","direction":"in","author":{"kind":"contact"}})";
  EXPECT_FALSE(created_message(created(ok, true)).has_value());                                      // a note
  EXPECT_FALSE(created_message(created(ok, false, event_type::kConversationUpdated)).has_value());  // another type
  Event no_conv = created(ok);
  no_conv.conversation_id.clear();
  EXPECT_FALSE(created_message(no_conv).has_value());
  for (const char* bad : {R"({"kind":"text"})", R"({"id":5})", R"([])", R"("x")"})
    EXPECT_FALSE(created_message(created(bad)).has_value()) << bad;
  Event broken = created(ok);
  broken.payload_json = "{not json";
  EXPECT_FALSE(created_message(broken).has_value());
}

}  // namespace
}  // namespace bottega::pipeline
