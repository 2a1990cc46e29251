// The quality gate: the bot, on the demo shop's knowledge base, catalog and codes and the evaluation set in
// src/bot/eval/messages.tsv, must keep false answers under 2% and precision above 90% (the
// goals of issue 6). A change to retrieval, intents or thresholds that makes the bot answer
// wrongly more often fails `make test`.
#include "bot/eval.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "bot/kb.hpp"

namespace bottega::bot {
namespace {

std::string read_set() {
  const char* src = std::getenv("BOTTEGA_SOURCE_DIR");
  std::string path = std::string(src && *src ? src : ".") + "/src/bot/eval/messages.tsv";
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Evaluation, DemoKnowledgeBaseParses) {
  auto kb = parse_kb_json(demo_kb_json());
  ASSERT_TRUE(kb.ok()) << kb.error().field << ": " << kb.error().message;
  EXPECT_GE(kb->entries.size(), 40u);
}

TEST(Evaluation, FalseAnswersStayUnderTwoPercentAndPrecisionAboveNinety) {
  std::string tsv = read_set();
  ASSERT_FALSE(tsv.empty()) << "src/bot/eval/messages.tsv not found (set BOTTEGA_SOURCE_DIR)";
  auto cases = parse_eval_set(tsv);
  ASSERT_TRUE(cases.ok()) << cases.error().field << ": " << cases.error().message;
  ASSERT_GE(cases->size(), 200u);
  auto kb = parse_kb_json(demo_kb_json());
  ASSERT_TRUE(kb.ok());
  KbIndex index(kb->entries);
  double threshold = 0.5;  // the default per-tenant threshold
  if (const char* t = std::getenv("BOTTEGA_EVAL_THRESHOLD")) threshold = std::atof(t);  // for tuning
  auto evaluated = evaluate_with_demo_shop(index, threshold, *cases);
  ASSERT_TRUE(evaluated.ok()) << evaluated.error().message;
  auto& report = *evaluated;
  std::string misses;
  for (const auto& m : report.misses) misses += m + "\n";
  EXPECT_LT(report.total.false_answer_rate(), 0.02) << render_table(report) << misses;
  EXPECT_GT(report.total.precision(), 0.90) << render_table(report) << misses;
  for (const auto& [lang, s] : report.by_language) {
    EXPECT_GE(s.messages, 50) << lang;
    EXPECT_LT(s.false_answer_rate(), 0.05) << lang << "\n" << render_table(report);
  }
  // The bot must still be useful: it answers most answerable questions and hands over when it must.
  EXPECT_GT(report.total.handoff_recall(), 0.85) << render_table(report) << misses;
  EXPECT_GT(report.total.answered, static_cast<int>(cases->size()) / 2) << render_table(report) << misses;
  std::cout << render_table(report);
}

TEST(Evaluation, ParserRejectsMalformedLines) {
  EXPECT_FALSE(parse_eval_set("en\tpolicy\tx\n").ok());
  EXPECT_FALSE(parse_eval_set("fr\tpolicy\tx\thello\n").ok());
  auto ok = parse_eval_set("# comment\n\nen\tpolicy\tx\thello\tthere\n");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->front().text, "hello\tthere");
}

}  // namespace
}  // namespace bottega::bot
