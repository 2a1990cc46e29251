#include "bot/kb.hpp"

#include <gtest/gtest.h>

#include "bot/index.hpp"

namespace bottega::bot {
namespace {

TEST(KbJson, ParsesAValidImport) {
  auto r = parse_kb_json(R"({"entries":[{"id":"ship-be","language":"nl","questions":["Verzenden jullie naar België?","Leveren jullie in België?"],"answer":"Ja, binnen 2 werkdagen.","tags":["shipping"],"product_ids":["prd_1"]}],"replace":true})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->entries.size(), 1u);
  EXPECT_TRUE(r->replace);
  EXPECT_EQ(r->entries[0].questions.size(), 2u);
  EXPECT_EQ(r->entries[0].product_ids, std::vector<std::string>{"prd_1"});
}

TEST(KbJson, RejectsBadInputNamingTheField) {
  struct Case {
    const char* body;
    const char* field;
  };
  for (const Case& c : {
           Case{R"({"entries":[{"id":"a","language":"fr","questions":["q"],"answer":"a"}]})", "entries[0].language"},
           Case{R"({"entries":[{"id":"a","language":"en","questions":[],"answer":"a"}]})", "entries[0].questions"},
           Case{R"({"entries":[{"id":"a","language":"en","questions":[" "],"answer":"a"}]})", "entries[0].questions[0]"},
           Case{R"({"entries":[{"id":"a","language":"en","questions":["q"],"answer":""}]})", "entries[0].answer"},
           Case{R"({"entries":[{"id":"a b","language":"en","questions":["q"],"answer":"x"}]})", "entries[0].id"},
           Case{R"({"entries":[{"id":"a","language":"en","questions":["q"],"answer":"x","x":1}]})", "entries[0].x"},
           Case{R"({"entries":[{"id":"a","language":"en","questions":[1],"answer":"x"}]})", "entries[0].questions[0]"},
           Case{R"({"entries":[{"id":"a","language":"en","questions":["q"],"answer":"x"},{"id":"a","language":"en","questions":["q"],"answer":"x"}]})", "entries[1].id"},
           Case{R"({"entries":{}})", "entries"},
           Case{R"({"entrys":[]})", "entrys"},
       }) {
    auto r = parse_kb_json(c.body);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.error().field, c.field) << c.body;
  }
  EXPECT_FALSE(parse_kb_json("not json").ok());
}

TEST(KbMarkdown, RoundTrips) {
  std::vector<KbEntry> entries = {
      {"ship-be", "nl", {"Verzenden jullie naar België?", "Leveren jullie in België?"}, "Ja.\n\nBinnen 2 dagen.", {"shipping", "be"}, {"prd_1"}},
      {"returns", "en", {"How do returns work?"}, "30 days, free.", {}, {}}};
  std::string md = to_markdown(entries);
  auto back = parse_kb_markdown(md);
  ASSERT_TRUE(back.ok()) << back.error().field << ": " << back.error().message;
  ASSERT_EQ(back->entries.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back->entries[i].id, entries[i].id);
    EXPECT_EQ(back->entries[i].language, entries[i].language);
    EXPECT_EQ(back->entries[i].questions, entries[i].questions);
    EXPECT_EQ(back->entries[i].answer, entries[i].answer);
    EXPECT_EQ(back->entries[i].tags, entries[i].tags);
    EXPECT_EQ(back->entries[i].product_ids, entries[i].product_ids);
  }
  // and the JSON document parses back too
  auto json = parse_kb_json(to_json_document(entries));
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(json->entries[0].answer, entries[0].answer);
}

TEST(KbMarkdown, RejectsMalformedSections) {
  EXPECT_FALSE(parse_kb_markdown("stray text\n## a\n- language: en\n- question: q\n\nanswer\n").ok());
  EXPECT_FALSE(parse_kb_markdown("## a\n- language: en\n\nanswer without question\n").ok());
  EXPECT_FALSE(parse_kb_markdown("## a\n- colour: red\n- question: q\n\nx\n").ok());
  EXPECT_EQ(parse_kb_markdown("## a\n- language: xx\n- question: q\n\nx\n").error().field, "entries[0].language");
}

// Found by kb_import_fuzz: a file with a byte that is not UTF-8 was accepted, and the entry it made
// could not be exported as JSON and read back.
TEST(KbMarkdown, RejectsTextThatIsNotUtf8WithTheLine) {
  auto r = parse_kb_markdown("## a\n- language: en\n- question: How d\xff I return?\n\n30 days.\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "text");
  EXPECT_NE(r.error().message.find("line 3"), std::string::npos) << r.error().message;
  EXPECT_TRUE(parse_kb_markdown("## a\n- language: it\n- question: Dov\xC3\xA8 il negozio?\n\nA Milano.\n").ok());
  EXPECT_FALSE(parse_kb_markdown("## a\n- language: en\n- question: q\xED\xA0\x80\n\nx\n").ok());  // a surrogate
}

std::vector<KbEntry> shop() {
  return {
      {"ship-countries-en", "en", {"Do you ship to Belgium?", "Which countries do you ship to?", "Do you deliver abroad?"},
       "We ship to the EU, UK and Switzerland.", {"shipping"}, {}},
      {"ship-time-en", "en", {"How long does delivery take?", "When will I get my parcel?"}, "2-4 working days.", {"shipping"}, {}},
      {"returns-en", "en", {"How do I return an item?", "What is your return policy?"}, "30 days, free returns.", {"returns"}, {}},
      {"ship-countries-nl", "nl", {"Verzenden jullie naar België?", "Naar welke landen verzenden jullie?"}, "Wij verzenden naar de hele EU.", {"shipping"}, {}},
  };
}

TEST(KbIndex, FindsTheRightEntryWithConfidence) {
  KbIndex idx(shop());
  auto r = idx.search("do you ship to belgium", "en");
  ASSERT_FALSE(r.matches.empty());
  EXPECT_EQ(idx.entries()[r.matches[0].entry].id, "ship-countries-en");
  EXPECT_GT(r.matches[0].confidence, 0.9);
  auto nl = idx.search("Versturen jullie ook naar belgie?", "nl");
  ASSERT_FALSE(nl.matches.empty());
  EXPECT_EQ(idx.entries()[nl.matches[0].entry].id, "ship-countries-nl");
  auto ret = idx.search("I want to return my sneakers, how does that work?", "en");
  ASSERT_FALSE(ret.matches.empty());
  EXPECT_EQ(idx.entries()[ret.matches[0].entry].id, "returns-en");
  // unrelated: weak or nothing
  auto none = idx.search("Is the owner of the shop married?", "en");
  EXPECT_TRUE(none.matches.empty() || none.matches[0].confidence < 0.3);
  // a language without entries searches the others
  auto de = idx.search("Belgium", "de");
  ASSERT_FALSE(de.matches.empty());
}

}  // namespace
}  // namespace bottega::bot
