// Language detection for short customer messages in English, Italian, German and Dutch: stop words
// and shop vocabulary per language, a few character n-grams and accented letters. Pure.
#pragma once

#include <string>
#include <string_view>

namespace bottega::bot {

struct DetectedLanguage {
  std::string lang;     // "en" | "it" | "de" | "nl"
  double score = 0;     // evidence for lang (0: no evidence, `fallback` was used)
  double margin = 0;    // score minus the runner-up's score
};

// The most likely language of `text`; `fallback` when nothing points anywhere.
DetectedLanguage detect_language(std::string_view text, std::string_view fallback = "en");

}  // namespace bottega::bot
