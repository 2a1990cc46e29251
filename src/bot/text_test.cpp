#include "bot/text.hpp"

#include <gtest/gtest.h>

#include "bot/language.hpp"

namespace bottega::bot {
namespace {

TEST(Fold, LowersAndStripsAccents) {
  EXPECT_EQ(fold("België"), "belgie");
  EXPECT_EQ(fold("Größe"), "grosse");
  EXPECT_EQ(fold("PERCHÉ è così"), "perche e cosi");
  EXPECT_EQ(fold("Łódź"), "lodz");
  // curly quotes and non-breaking spaces separate words
  EXPECT_EQ(words(fold("don’t\xC2\xA0stop")), (std::vector<std::string>{"don", "t", "stop"}));
}

TEST(Analyze, DropsStopWordsAndStems) {
  EXPECT_EQ(analyze("en", "Do you ship to Belgium?"), (std::vector<std::string>{"ship", "belgium"}));
  EXPECT_EQ(analyze("en", "shipping"), analyze("en", "ships"));
  EXPECT_EQ(analyze("nl", "Verzenden jullie naar België?"), analyze("nl", "verzend naar belgie"));
  EXPECT_EQ(analyze("de", "Versandkosten"), analyze("de", "versandkosten"));
  EXPECT_EQ(analyze("it", "spedizioni"), analyze("it", "spedizione"));
  EXPECT_TRUE(analyze("en", "the a of").empty());
  // sizes survive
  EXPECT_EQ(analyze("en", "size 42"), (std::vector<std::string>{"size", "42"}));
}

TEST(Language, DetectsTheFourLanguages) {
  EXPECT_EQ(detect_language("Do you ship to Belgium?").lang, "en");
  EXPECT_EQ(detect_language("Verzenden jullie ook naar België?").lang, "nl");
  EXPECT_EQ(detect_language("Wie lange dauert der Versand nach Österreich?").lang, "de");
  EXPECT_EQ(detect_language("Quanto costa la spedizione in Italia?").lang, "it");
  EXPECT_EQ(detect_language("Hoeveel kost de verzending?").lang, "nl");
  EXPECT_EQ(detect_language("Kann ich mit PayPal bezahlen?").lang, "de");
  EXPECT_EQ(detect_language("Posso pagare con PayPal?").lang, "it");
  EXPECT_EQ(detect_language("Can I pay with PayPal?").lang, "en");
  // nothing to go on: the fallback
  EXPECT_EQ(detect_language("???", "it").lang, "it");
  EXPECT_EQ(detect_language("", "de").lang, "de");
}

}  // namespace
}  // namespace bottega::bot
