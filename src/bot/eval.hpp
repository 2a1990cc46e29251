// The bot's offline evaluation: a labelled set of customer messages (TSV: language, expected
// intent, expected outcome, text) run through decide() as first messages of fresh conversations.
// Expected outcome: a knowledge-base entry id (answer with it), an answer from shop facts
// ("product:<handle>[+<handle>]" from the catalog, "code:<valid|refusal>" for a discount code),
// HANDOVER, or ASK (a question back: order details, a greeting, a clarification, which code).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bot/index.hpp"
#include "bot/shop.hpp"
#include "bottega/errors.hpp"

namespace bottega::bot {

struct EvalCase {
  std::string language, intent, expected, text;
  int line = 0;
};
Result<std::vector<EvalCase>> parse_eval_set(std::string_view tsv);

struct EvalStats {
  int messages = 0;
  int intent_correct = 0;
  int answered = 0, answered_correct = 0;
  int false_answers = 0;         // answered, but the expected outcome was another entry or no answer
  int handover_expected = 0, handover_given = 0;
  int ask_expected = 0, ask_given = 0;
  double intent_accuracy() const { return messages ? double(intent_correct) / messages : 0; }
  double precision() const { return answered ? double(answered_correct) / answered : 1; }
  double false_answer_rate() const { return messages ? double(false_answers) / messages : 0; }
  double handoff_recall() const { return handover_expected ? double(handover_given) / handover_expected : 1; }
  double answer_recall(int answerable) const { return answerable ? double(answered_correct) / answerable : 1; }
};

struct EvalReport {
  std::map<std::string, EvalStats> by_language;
  EvalStats total;
  std::vector<std::string> misses;  // one line per case that went wrong, for tuning
};
// With a shop, messages are answered as in a new customer's conversation of that shop (catalog
// questions, discount codes, order verification); without one, from the knowledge base only.
EvalReport evaluate(const KbIndex& index, double threshold, const std::vector<EvalCase>& cases,
                    ShopPort* shop = nullptr);
// The same with the demo shop (`bottega demo`'s catalog and codes) in a scratch SQLite database
// (created under the system's temporary directory and removed afterwards).
Result<EvalReport> evaluate_with_demo_shop(const KbIndex& index, double threshold, const std::vector<EvalCase>& cases);

// Goals: false answers under 2% and precision above 90%.
bool meets_goals(const EvalStats& s);
std::string render_table(const EvalReport& r);  // Markdown table, one row per language + total

// The demo shop's knowledge base (JSON import format): seeded by `bottega demo`, evaluated by
// `bottega kb eval` and the unit test.
const char* demo_kb_json();

}  // namespace bottega::bot
