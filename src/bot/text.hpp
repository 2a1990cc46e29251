// Text analysis for retrieval: case and accent folding, tokenizing, stop words and Snowball stems
// (libstemmer) for the bot's languages. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace bottega::bot {

// The languages the bot understands. "en", "it", "de", "nl".
inline constexpr const char* kLanguages[] = {"en", "it", "de", "nl"};
bool supported_language(std::string_view lang);

// Lower-cases ASCII and Latin-1/Latin Extended-A letters and strips their accents
// ("België" -> "belgie", "Größe" -> "grosse"); other bytes are kept.
std::string fold(std::string_view text);

// Splits folded text into words of letters and digits (UTF-8 sequences count as letters).
std::vector<std::string> words(std::string_view folded);

// Whether `w` (folded) is a stop word of `lang`.
bool is_stop_word(std::string_view lang, std::string_view w);

// The Snowball stem of a folded word in `lang` (the word itself for an unsupported language).
std::string stem(std::string_view lang, std::string_view w);

// fold -> words -> drop stop words -> stem. Tokens of one character are dropped (digits of two or
// more are kept, so "42" and sizes survive).
std::vector<std::string> analyze(std::string_view lang, std::string_view text);

}  // namespace bottega::bot
