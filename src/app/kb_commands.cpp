// `bottega kb import|export|eval`: the knowledge base from the command line.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/app.hpp"
#include "bot/bot_repo.hpp"
#include "bot/eval.hpp"
#include "bot/kb.hpp"
#include "bottega/clock.hpp"
#include "bottega/store.hpp"
#include "store/repo/repo.hpp"

namespace bottega::app {

namespace {

int fail(const Error& e) {
  std::fprintf(stderr, "bottega: %s%s%s\n", e.field.empty() ? "" : e.field.c_str(), e.field.empty() ? "" : ": ",
               e.message.c_str());
  return 1;
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

bool is_markdown(const std::string& path) {
  auto ends = [&](const char* suf) {
    std::string s(suf);
    return path.size() >= s.size() && path.compare(path.size() - s.size(), s.size(), s) == 0;
  };
  return ends(".md") || ends(".markdown");
}

Result<std::unique_ptr<store::Store>> open_store(const Config& cfg) {
  store::StoreOptions so;
  so.readers = 1;
  return store::open_store(cfg.store.url, so, true);
}

}  // namespace

int cmd_kb_import(const Config& cfg, const std::string& tenant, const std::string& file, bool replace) {
  std::string text;
  if (!read_file(file, text)) return fail(Error::invalid("FILE", "cannot read " + file));
  auto kb = is_markdown(file) ? bot::parse_kb_markdown(text) : bot::parse_kb_json(text);
  if (!kb) return fail(kb.error());
  if (replace) kb->replace = true;
  auto st = open_store(cfg);
  if (!st) return fail(st.error());
  SystemClock clock;
  bot::repo::ImportCounts counts;
  auto w = store::write_sync(**st, [&](store::Tx& tx) -> Status {
    if (!repo::tenant_exists(tx, tenant)) return Error::invalid("--tenant", "no such tenant");
    counts = bot::repo::import_entries(tx, tenant, *kb, clock.now_ms());
    return {};
  });
  (*st)->close();
  if (!w) return fail(w.error());
  std::printf("{\"imported\":%zu,\"created\":%lld,\"updated\":%lld,\"deleted\":%lld,\"total\":%lld}\n", kb->entries.size(),
              static_cast<long long>(counts.created), static_cast<long long>(counts.updated),
              static_cast<long long>(counts.deleted), static_cast<long long>(counts.total));
  return 0;
}

int cmd_kb_export(const Config& cfg, const std::string& tenant, const std::string& format, const std::string& file) {
  auto st = open_store(cfg);
  if (!st) return fail(st.error());
  std::vector<bot::KbEntry> entries;
  bool exists = false;
  store::read_sync(**st, [&](store::Tx& tx) {
    exists = repo::tenant_exists(tx, tenant);
    if (exists) entries = bot::repo::load_entries(tx, tenant);
  });
  (*st)->close();
  if (!exists) return fail(Error::invalid("--tenant", "no such tenant"));
  std::string out = format == "markdown" ? bot::to_markdown(entries) : bot::to_json_document(entries) + "\n";
  if (file == "-") {
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  }
  std::ofstream f(file, std::ios::binary | std::ios::trunc);
  f << out;
  if (!f) return fail(Error::invalid("FILE", "cannot write " + file));
  std::fprintf(stderr, "bottega: %zu entries written to %s\n", entries.size(), file.c_str());
  return 0;
}

int cmd_kb_eval(const std::string& set_file, const std::string& kb_file, const std::string& results_md) {
  std::string set_path = set_file.empty() ? "src/bot/eval/messages.tsv" : set_file;
  std::string tsv;
  if (!read_file(set_path, tsv)) return fail(Error::invalid("--set", "cannot read " + set_path));
  auto cases = bot::parse_eval_set(tsv);
  if (!cases) return fail(cases.error());
  std::string kb_text = bot::demo_kb_json();
  if (!kb_file.empty() && !read_file(kb_file, kb_text)) return fail(Error::invalid("--kb", "cannot read " + kb_file));
  auto kb = !kb_file.empty() && is_markdown(kb_file) ? bot::parse_kb_markdown(kb_text) : bot::parse_kb_json(kb_text);
  if (!kb) return fail(kb.error());
  bot::KbIndex index(kb->entries);
  bot::repo::Settings defaults;
  auto evaluated = bot::evaluate_with_demo_shop(index, defaults.threshold, *cases);
  if (!evaluated) return fail(evaluated.error());
  auto& report = *evaluated;
  std::string table = bot::render_table(report);
  bool ok = bot::meets_goals(report.total);
  char head[256];
  std::snprintf(head, sizeof head,
                "Bot evaluation: %zu messages, %zu knowledge-base entries, threshold %.2f. Goals (false answers < 2%%, "
                "precision > 90%%): %s.\n\n",
                cases->size(), kb->entries.size(), defaults.threshold, ok ? "met" : "MISSED");
  std::printf("%s%s\n", head, table.c_str());
  if (!report.misses.empty()) {
    std::printf("Cases not handled as expected (%zu):\n", report.misses.size());
    for (const auto& m : report.misses) std::printf("  %s\n", m.c_str());
  }
  if (!results_md.empty()) {
    // Replace (or append) the "## Bot evaluation" section of the results file.
    std::string md;
    read_file(results_md, md);
    const std::string heading = "## Bot evaluation";
    std::string section = heading + "\n\n`bottega kb eval` (run by `make bench`): the demo shop's knowledge base "
                          "(src/bot/demo_kb.cpp) and the labelled messages in " + set_path +
                          ", each the first message of a new conversation. Intent accuracy: the recognised intent "
                          "equals the label. Answer precision: answers with the expected entry / all answers. "
                          "False-answer rate: answers that were wrong (another entry, or an answer where a person "
                          "or a question back was expected) / all messages. Handoff recall: handed over / should "
                          "hand over.\n\n" + std::string(head) + table + "\n";
    size_t at = md.find(heading);
    if (at == std::string::npos) {
      if (!md.empty() && md.back() != '\n') md += "\n";
      md += (md.empty() ? "" : "\n") + section;
    } else {
      size_t end = md.find("\n## ", at + heading.size());
      md.replace(at, end == std::string::npos ? std::string::npos : end + 1 - at, section);
    }
    std::ofstream f(results_md, std::ios::binary | std::ios::trunc);
    f << md;
    if (!f) return fail(Error::invalid("--results", "cannot write " + results_md));
  }
  return ok ? 0 : 1;
}

}  // namespace bottega::app
