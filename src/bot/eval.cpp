#include "bot/eval.hpp"

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <unistd.h>

#include "bot/engine.hpp"
#include "bot/text.hpp"
#include "commerce/demo.hpp"
#include "store/repo/repo.hpp"

namespace bottega::bot {

Result<std::vector<EvalCase>> parse_eval_set(std::string_view tsv) {
  std::vector<EvalCase> out;
  size_t pos = 0;
  int line_no = 0;
  while (pos < tsv.size()) {
    size_t nl = tsv.find('\n', pos);
    if (nl == std::string_view::npos) nl = tsv.size();
    std::string_view line = tsv.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cols;
    size_t start = 0;
    for (int i = 0; i < 3; ++i) {
      size_t tab = line.find('\t', start);
      if (tab == std::string_view::npos) return Error::invalid("line " + std::to_string(line_no), "expected 4 tab-separated columns");
      cols.emplace_back(line.substr(start, tab - start));
      start = tab + 1;
    }
    cols.emplace_back(line.substr(start));
    if (!supported_language(cols[0])) return Error::invalid("line " + std::to_string(line_no), "unknown language " + cols[0]);
    out.push_back({cols[0], cols[1], cols[2], cols[3], line_no});
  }
  return out;
}

EvalReport evaluate(const KbIndex& index, double threshold, const std::vector<EvalCase>& cases, ShopPort* shop) {
  EvalReport r;
  for (const auto& c : cases) {
    DecideInput in;
    in.shop = shop;
    in.now_ms = 1'800'000'000'000;
    in.nonce = "eval";
    in.text = c.text;
    in.index = &index;
    in.threshold = threshold;
    in.default_language = c.language;
    in.wait.open_now = true;
    in.wait.minutes = 10;
    Decision d = decide(in);
    std::string intent(to_string(d.intent));
    bool intent_ok = intent == c.intent;
    bool answered = d.outcome == Outcome::answered;
    bool want_handover = c.expected == "HANDOVER", want_ask = c.expected == "ASK";
    bool correct_answer = answered && d.entry_id == c.expected;
    for (EvalStats* s : {&r.by_language[c.language], &r.total}) {
      s->messages++;
      if (intent_ok) s->intent_correct++;
      if (answered) {
        s->answered++;
        if (correct_answer) s->answered_correct++;
        else s->false_answers++;
      }
      if (want_handover) {
        s->handover_expected++;
        if (d.outcome == Outcome::handed_over) s->handover_given++;
      }
      if (want_ask) {
        s->ask_expected++;
        if (d.outcome == Outcome::asked) s->ask_given++;
      }
    }
    bool outcome_ok = want_handover ? d.outcome == Outcome::handed_over
                      : want_ask    ? d.outcome == Outcome::asked
                                    : correct_answer;
    if (!outcome_ok || !intent_ok) {
      char conf[16];
      std::snprintf(conf, sizeof conf, "%.2f", d.confidence);
      r.misses.push_back("line " + std::to_string(c.line) + " [" + c.language + "] \"" + c.text + "\": expected " +
                         c.intent + "/" + c.expected + ", got " + intent + "/" + std::string(to_string(d.outcome)) +
                         (d.entry_id.empty() ? "" : " " + d.entry_id + " " + conf) +
                         (d.reason.empty() ? "" : " (" + d.reason + ")") + " lang=" + d.language);
    }
  }
  return r;
}

Result<EvalReport> evaluate_with_demo_shop(const KbIndex& index, double threshold, const std::vector<EvalCase>& cases) {
  namespace fs = std::filesystem;
  static std::atomic<int> counter{0};
  fs::path dir = fs::temp_directory_path() /
                 ("bottega_eval_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  fs::remove_all(dir);
  fs::create_directories(dir);
  struct Cleanup {
    fs::path d;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(d, ec);
    }
  } cleanup{dir};
  store::StoreOptions so;
  so.readers = 1;
  auto st = store::open_store("sqlite://" + (dir / "eval.db").string(), so, true);
  if (!st) return std::move(st).error();
  SystemClock clock;
  RandomIdGenerator ids(clock);
  const std::string tenant = "ten_eval", contact = "ct_eval";
  auto w = store::write_sync(**st, [&](store::Tx& tx) -> Status {
    int64_t now = clock.now_ms();
    ::bottega::repo::create_tenant(tx, tenant, "Demo shop", now);
    ::bottega::repo::create_contact(tx, tenant, contact, "Eval customer", std::nullopt, now);
    return commerce::seed_demo_catalog(tx, ids, tenant, now);
  });
  if (!w) {
    (*st)->close();
    return w.error();
  }
  EvalReport report;
  store::read_sync(**st, [&](store::Tx& tx) {
    StoreShop shop(tx, tenant, contact, "", clock.now_ms());
    report = evaluate(index, threshold, cases, &shop);
  });
  (*st)->close();
  return report;
}

bool meets_goals(const EvalStats& s) { return s.false_answer_rate() < 0.02 && s.precision() > 0.90; }

std::string render_table(const EvalReport& r) {
  std::string out =
      "| language | messages | intent accuracy | answered | answer precision | false-answer rate | handoff recall | asked when expected |\n"
      "|---|---|---|---|---|---|---|---|\n";
  auto row = [&](const std::string& name, const EvalStats& s) {
    char buf[512];
    std::snprintf(buf, sizeof buf, "| %s | %d | %.1f%% | %d | %.1f%% | %.1f%% (%d) | %.1f%% (%d/%d) | %d/%d |\n", name.c_str(),
                  s.messages, 100 * s.intent_accuracy(), s.answered, 100 * s.precision(), 100 * s.false_answer_rate(),
                  s.false_answers, 100 * s.handoff_recall(), s.handover_given, s.handover_expected, s.ask_given,
                  s.ask_expected);
    out += buf;
  };
  for (const auto& [lang, s] : r.by_language) row(lang, s);
  row("**all**", r.total);
  return out;
}

}  // namespace bottega::bot
