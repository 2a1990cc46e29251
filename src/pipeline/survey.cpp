#include "pipeline/survey.hpp"

#include <boost/json/parse.hpp>
#include <cctype>

namespace bottega::pipeline {

namespace bj = boost::json;

std::optional<int> survey_score(std::string_view kind, std::string_view text, std::string_view content_json) {
  if (kind == "interactive_reply") {
    boost::system::error_code ec;
    auto v = bj::parse(content_json, ec);
    if (!ec && v.is_object())
      if (auto* id = v.as_object().if_contains("id"); id && id->is_string()) {
        std::string_view s = id->as_string();
        if (s.size() == 6 && s.substr(0, 5) == "csat:" && s[5] >= '1' && s[5] <= '5') return s[5] - '0';
      }
  }
  size_t b = 0, e = text.size();
  while (b < e && std::isspace(static_cast<unsigned char>(text[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1]))) --e;
  std::string_view t = text.substr(b, e - b);
  if (t.empty() || t[0] < '1' || t[0] > '5') return std::nullopt;
  int score = t[0] - '0';
  std::string_view rest = t.substr(1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (rest.empty() || rest == "/5" || rest == "/ 5" || rest == "stars" || rest == "star" || rest == "stelle" ||
      rest == "Sterne" || rest == "sterren")
    return score;
  // Only star emoji after the number ("⭐" is E2 AD 90).
  if (rest.size() % 3 == 0) {
    bool stars = true;
    for (size_t i = 0; i < rest.size() && stars; i += 3) stars = rest.substr(i, 3) == "\xE2\xAD\x90";
    if (stars) return score;
  }
  return std::nullopt;
}

std::optional<std::string> survey_conversation(store::Tx& tx, const std::string& tenant, const std::string& contact_id,
                                               const std::string& channel_id, int64_t now) {
  static const store::Stmt kSurvey{"survey.conversation",
      "SELECT s.conversation_id FROM csat_surveys s JOIN conversations c ON c.tenant_id = s.tenant_id "
      "AND c.id = s.conversation_id WHERE s.tenant_id = $1 AND s.contact_id = $2 AND s.channel_id = $3 "
      "AND s.sent_at > $4 AND c.status = 'resolved' ORDER BY s.sent_at DESC LIMIT 1"};
  auto r = tx.query_one(kSurvey, {tenant, contact_id, channel_id, now - 24LL * 3600 * 1000});
  if (!r) return std::nullopt;
  return r->str(0);
}

std::optional<std::string> survey_comment_conversation(store::Tx& tx, const std::string& tenant,
                                                       const std::string& contact_id, const std::string& channel_id,
                                                       int64_t now) {
  static const store::Stmt kComment{"survey.comment_conversation",
      "SELECT s.conversation_id FROM csat_surveys s JOIN conversations c ON c.tenant_id = s.tenant_id "
      "AND c.id = s.conversation_id WHERE s.tenant_id = $1 AND s.contact_id = $2 AND s.channel_id = $3 "
      "AND s.sent_at > $4 AND s.comment_asked_at > $5 AND s.comment IS NULL AND s.score IS NOT NULL "
      "AND c.status = 'resolved' ORDER BY s.sent_at DESC LIMIT 1"};
  auto r = tx.query_one(kComment, {tenant, contact_id, channel_id, now - 24LL * 3600 * 1000, now - kSurveyCommentWindowMs});
  if (!r) return std::nullopt;
  return r->str(0);
}

}  // namespace bottega::pipeline
