// Satisfaction survey answers in the message path. A customer's reply to a survey sent after a
// conversation was resolved ("5", "4/5", a tapped "csat:4" choice) stays in that conversation
// instead of opening a new one (and so the bot, which stays out of resolved conversations, does
// not answer it), and so does the one text message after it that comments on the score. The service area (src/service) sends the surveys and records the scores.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bottega/store.hpp"

namespace bottega::pipeline {

// The score 1..5 a message gives, or nullopt: a choice id "csat:N", or a text that is only the
// number ("5", " 4 ", "3/5", "5 stars", "4 ⭐⭐⭐⭐").
std::optional<int> survey_score(std::string_view kind, std::string_view text, std::string_view content_json);

// The resolved conversation whose survey (sent less than 24 hours before `now`) this contact is
// answering on this channel, or nullopt.
std::optional<std::string> survey_conversation(store::Tx& tx, const std::string& tenant, const std::string& contact_id,
                                               const std::string& channel_id, int64_t now);

// The resolved conversation whose survey this contact scored and was then asked for a comment
// (less than an hour before `now`, no comment recorded yet) on this channel: its next text
// message is the comment and stays there too. nullopt otherwise.
inline constexpr int64_t kSurveyCommentWindowMs = 3600LL * 1000;
std::optional<std::string> survey_comment_conversation(store::Tx& tx, const std::string& tenant,
                                                       const std::string& contact_id, const std::string& channel_id,
                                                       int64_t now);

}  // namespace bottega::pipeline
