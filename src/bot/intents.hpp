// Intent recognition for customer messages in English, Italian, German and Dutch: weighted word
// and phrase patterns over folded text (accents and case removed), plus anger and yes/no replies.
// Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace bottega::bot {

enum class Intent { other, presale, order_status, policy, discount, refund, human, greeting };
std::string_view to_string(Intent i);
// The conversation tag an intent sets ("presale", "order-status", "refund", "discount-issue",
// "policy", "human-request"); empty for other and greeting.
std::string_view intent_tag(Intent i);

struct IntentScores {
  Intent intent = Intent::other;  // the strongest (ties: human > refund > discount >
                                  // order_status > presale > policy)
  double score = 0;
  bool angry = false;
  bool greeting_only = false;     // nothing but a greeting ("hi", "ciao", "hallo")
  bool refund_problem = false;    // damaged, wrong item, "I want a refund": a person's case
};
IntentScores classify(std::string_view text);

// A short reply to "did this help?": +1 yes, -1 no, 0 neither (or too long to be just that).
int yes_no(std::string_view text);

}  // namespace bottega::bot
