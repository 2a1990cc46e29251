#include "bot/kb.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <set>

#include "bot/text.hpp"
#include "core/json.hpp"

namespace bottega::bot {

namespace bj = boost::json;

namespace {

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 100) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

std::string trim(std::string_view s) {
  size_t a = s.find_first_not_of(" \t\r\n");
  if (a == std::string_view::npos) return {};
  size_t b = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(a, b - a + 1));
}

// Validates one entry after parsing (both formats); `path` is "entries[i]".
Status validate(const KbEntry& e, const std::string& path) {
  if (!valid_id(e.id)) return Error::invalid(path + ".id", "id must be 1..100 characters of A-Z a-z 0-9 . _ -");
  if (!supported_language(e.language))
    return Error::invalid(path + ".language", "language must be one of en, it, de, nl", "unsupported_language");
  if (e.questions.empty() || e.questions.size() > 50)
    return Error::invalid(path + ".questions", "between 1 and 50 questions");
  for (size_t i = 0; i < e.questions.size(); ++i)
    if (blank(e.questions[i]) || e.questions[i].size() > 500)
      return Error::invalid(path + ".questions[" + std::to_string(i) + "]", "a question is 1..500 characters");
  if (blank(e.answer) || e.answer.size() > 4000) return Error::invalid(path + ".answer", "the answer is 1..4000 characters");
  if (e.tags.size() > 20) return Error::invalid(path + ".tags", "at most 20 tags");
  for (size_t i = 0; i < e.tags.size(); ++i)
    if (blank(e.tags[i]) || e.tags[i].size() > 64)
      return Error::invalid(path + ".tags[" + std::to_string(i) + "]", "a tag is 1..64 characters");
  if (e.product_ids.size() > 50) return Error::invalid(path + ".product_ids", "at most 50 products");
  for (size_t i = 0; i < e.product_ids.size(); ++i)
    if (!valid_id(e.product_ids[i]))
      return Error::invalid(path + ".product_ids[" + std::to_string(i) + "]", "not a product id");
  return {};
}

Result<std::vector<std::string>> string_array(const bj::object& o, std::string_view key, const std::string& path,
                                              bool required) {
  std::vector<std::string> out;
  auto it = o.find(key);
  if (it == o.end() || (!required && it->value().is_null())) {
    if (required) return Error::invalid(path, "missing field", "missing_field");
    return out;
  }
  if (!it->value().is_array()) return Error::invalid(path, "must be an array of strings", "invalid_type");
  const auto& a = it->value().as_array();
  if (a.size() > 1000) return Error::invalid(path, "too many items");
  for (size_t i = 0; i < a.size(); ++i) {
    if (!a[i].is_string()) return Error::invalid(path + "[" + std::to_string(i) + "]", "must be a string", "invalid_type");
    out.emplace_back(a[i].as_string());
  }
  return out;
}

Status check_unique(const std::vector<KbEntry>& entries) {
  std::set<std::string> seen;
  for (size_t i = 0; i < entries.size(); ++i)
    if (!seen.insert(entries[i].id).second)
      return Error::invalid("entries[" + std::to_string(i) + "].id", "duplicate id " + entries[i].id, "duplicate_id");
  return {};
}

}  // namespace

Result<KbImport> parse_kb_object(const bj::object& o) {
  BOTTEGA_TRY_STATUS(json::only_keys(o, {"entries", "replace"}));
  KbImport out;
  BOTTEGA_TRY(replace, json::optional_bool(o, "replace"));
  out.replace = replace.value_or(false);
  auto it = o.find("entries");
  if (it == o.end()) return Error::invalid("entries", "missing field", "missing_field");
  if (!it->value().is_array()) return Error::invalid("entries", "entries must be an array", "invalid_type");
  const auto& arr = it->value().as_array();
  if (arr.size() > kMaxEntries) return Error::invalid("entries", "at most 5000 entries per import");
  for (size_t i = 0; i < arr.size(); ++i) {
    std::string path = "entries[" + std::to_string(i) + "]";
    if (!arr[i].is_object()) return Error::invalid(path, "each entry is an object", "invalid_type");
    const auto& e = arr[i].as_object();
    BOTTEGA_TRY_STATUS(json::only_keys(e, {"id", "language", "questions", "answer", "tags", "product_ids"}, path));
    KbEntry entry;
    BOTTEGA_TRY(id, json::required_string(e, "id", path + ".id", 200));
    BOTTEGA_TRY(language, json::required_string(e, "language", path + ".language", 16));
    BOTTEGA_TRY(answer, json::required_string(e, "answer", path + ".answer", 8000));
    BOTTEGA_TRY(questions, string_array(e, "questions", path + ".questions", true));
    BOTTEGA_TRY(tags, string_array(e, "tags", path + ".tags", false));
    BOTTEGA_TRY(products, string_array(e, "product_ids", path + ".product_ids", false));
    entry.id = std::move(id);
    entry.language = std::move(language);
    entry.answer = std::move(answer);
    entry.questions = std::move(questions);
    entry.tags = std::move(tags);
    entry.product_ids = std::move(products);
    BOTTEGA_TRY_STATUS(validate(entry, path));
    out.entries.push_back(std::move(entry));
  }
  BOTTEGA_TRY_STATUS(check_unique(out.entries));
  return out;
}

Result<KbImport> parse_kb_json(std::string_view text) {
  json::ParseLimits limits;
  limits.max_bytes = 8 << 20;
  BOTTEGA_TRY(o, json::parse_object(text, limits));
  return parse_kb_object(o);
}

namespace {

std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string_view::npos) comma = s.size();
    std::string item = trim(s.substr(start, comma - start));
    if (!item.empty()) out.push_back(std::move(item));
    start = comma + 1;
  }
  return out;
}

}  // namespace

Result<KbImport> parse_kb_markdown(std::string_view text) {
  if (text.size() > (8u << 20)) return Error{Errc::payload_too_large, "payload_too_large", "at most 8 MiB", {}};
  if (size_t bad = json::invalid_utf8_at(text); bad != std::string_view::npos) {
    size_t line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(bad), '\n'));
    return Error::invalid("text", "not UTF-8: line " + std::to_string(line) + " has an ill-formed byte sequence");
  }
  KbImport out;
  KbEntry* cur = nullptr;
  std::string answer;
  size_t line_no = 0;
  auto finish = [&]() -> Status {
    if (!cur) return {};
    cur->answer = trim(answer);
    answer.clear();
    return validate(*cur, "entries[" + std::to_string(out.entries.size() - 1) + "]");
  };
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++line_no;
    pos = nl + 1;
    if (line.rfind("## ", 0) == 0) {
      BOTTEGA_TRY_STATUS(finish());
      if (out.entries.size() >= kMaxEntries) return Error::invalid("entries", "at most 5000 entries per import");
      out.entries.push_back({});
      cur = &out.entries.back();
      cur->id = trim(line.substr(3));
      continue;
    }
    if (!cur) {
      if (!blank(line) && line.rfind("# ", 0) != 0)
        return Error::invalid("line " + std::to_string(line_no), "text before the first \"## <id>\" heading");
      continue;
    }
    if (line.rfind("- ", 0) == 0 && answer.empty()) {
      std::string_view item = line.substr(2);
      size_t colon = item.find(':');
      std::string key = colon == std::string_view::npos ? std::string() : trim(item.substr(0, colon));
      std::string value = colon == std::string_view::npos ? std::string() : trim(item.substr(colon + 1));
      if (key == "language") cur->language = value;
      else if (key == "tags") cur->tags = split_list(value);
      else if (key == "products") cur->product_ids = split_list(value);
      else if (key == "question") cur->questions.push_back(value);
      else return Error::invalid("line " + std::to_string(line_no),
                                 "expected \"- language:\", \"- tags:\", \"- products:\" or \"- question:\"");
      continue;
    }
    if (answer.empty() && blank(line)) continue;
    answer.append(line);
    answer.push_back('\n');
  }
  BOTTEGA_TRY_STATUS(finish());
  BOTTEGA_TRY_STATUS(check_unique(out.entries));
  return out;
}

std::string to_markdown(const std::vector<KbEntry>& entries) {
  std::string out = "# Knowledge base\n";
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  };
  for (const auto& e : entries) {
    out += "\n## " + e.id + "\n- language: " + e.language + "\n";
    if (!e.tags.empty()) out += "- tags: " + join(e.tags) + "\n";
    if (!e.product_ids.empty()) out += "- products: " + join(e.product_ids) + "\n";
    for (const auto& q : e.questions) {
      std::string one = q;
      for (auto& c : one)
        if (c == '\n' || c == '\r') c = ' ';
      out += "- question: " + one + "\n";
    }
    out += "\n" + e.answer + "\n";
  }
  return out;
}

bj::object to_json(const KbEntry& e) {
  bj::array q, t, p;
  for (const auto& x : e.questions) q.emplace_back(x);
  for (const auto& x : e.tags) t.emplace_back(x);
  for (const auto& x : e.product_ids) p.emplace_back(x);
  return bj::object{{"id", e.id}, {"language", e.language}, {"questions", std::move(q)},
                    {"answer", e.answer}, {"tags", std::move(t)}, {"product_ids", std::move(p)}};
}

std::string to_json_document(const std::vector<KbEntry>& entries) {
  bj::array a;
  for (const auto& e : entries) a.push_back(to_json(e));
  return bj::serialize(bj::object{{"entries", std::move(a)}});
}

}  // namespace bottega::bot
