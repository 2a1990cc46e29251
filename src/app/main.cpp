// bottega: the command line. See README.md and docs/api.md.
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "app/app.hpp"

namespace {

constexpr const char* kUsage = R"(usage:
  bottega serve --config FILE
  bottega demo [--port N] [--data-dir DIR] [--simulator-url http://127.0.0.1:8090]
  bottega migrate --config FILE
  bottega admin create-tenant --config FILE --name NAME
  bottega admin create-agent --config FILE --tenant ID --email E --password P --role admin|agent [--name N]
  bottega reconcile --config FILE --tenant ID [--provider ID]
  bottega kb import --config FILE --tenant ID [--replace true] FILE.json|FILE.md
  bottega kb export --config FILE --tenant ID [--format json|markdown] [FILE]
  bottega kb eval [--set FILE.tsv] [--kb FILE] [--results FILE.md]
  bottega --version
Environment variables BOTTEGA_<SECTION>_<KEY> (e.g. BOTTEGA_STORE_URL) override the config file.
)";

int usage(const char* problem) {
  if (problem) std::fprintf(stderr, "bottega: %s\n", problem);
  std::fputs(kUsage, stderr);
  return 2;
}

// Parses "--key value" pairs; unknown flags are errors.
bool parse_flags(const std::vector<std::string>& args, size_t from, const std::vector<std::string>& allowed,
                 std::map<std::string, std::string>& out, std::string& problem) {
  for (size_t i = from; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) != 0) {
      problem = "unexpected argument " + a;
      return false;
    }
    std::string key = a.substr(2), value;
    if (auto eq = key.find('='); eq != std::string::npos) {
      value = key.substr(eq + 1);
      key = key.substr(0, eq);
    } else {
      if (i + 1 >= args.size()) {
        problem = "--" + key + " needs a value";
        return false;
      }
      value = args[++i];
    }
    bool ok = false;
    for (const auto& k : allowed) ok = ok || k == key;
    if (!ok) {
      problem = "unknown option --" + key;
      return false;
    }
    out[key] = value;
  }
  return true;
}

bool load(const std::map<std::string, std::string>& flags, bottega::Config& cfg) {
  auto it = flags.find("config");
  auto r = bottega::load_config(it == flags.end() ? "" : it->second, bottega::process_env());
  if (!r) {
    std::fprintf(stderr, "bottega: config: %s%s%s\n", r.error().field.c_str(), r.error().field.empty() ? "" : ": ",
                 r.error().message.c_str());
    return false;
  }
  cfg = std::move(r).value();
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return usage(nullptr);
  const std::string& cmd = args[0];
  if (cmd == "--version" || cmd == "version") {
    std::printf("bottega %s\n", BOTTEGA_VERSION);
    return 0;
  }
  if (cmd == "--help" || cmd == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::map<std::string, std::string> flags;
  std::string problem;
  bottega::Config cfg;
  if (cmd == "serve" || cmd == "migrate") {
    if (!parse_flags(args, 1, {"config"}, flags, problem)) return usage(problem.c_str());
    if (!load(flags, cfg)) return 1;
    return cmd == "serve" ? bottega::app::run_server(cfg, {}) : bottega::app::cmd_migrate(cfg);
  }
  if (cmd == "demo") {
    if (!parse_flags(args, 1, {"port", "data-dir", "simulator-url"}, flags, problem))
      return usage(problem.c_str());
    int port = 8080;
    if (flags.count("port")) {
      char* end = nullptr;
      long p = std::strtol(flags["port"].c_str(), &end, 10);
      if (!end || *end || p < 0 || p > 65535) return usage("--port must be 0..65535");
      port = static_cast<int>(p);
    }
    std::string dir = flags.count("data-dir") ? flags["data-dir"] : "bottega-demo";
    std::string sim = flags.count("simulator-url") ? flags["simulator-url"] : "";
    return bottega::app::cmd_demo(static_cast<uint16_t>(port), dir, sim);
  }
  if (cmd == "admin" && args.size() >= 2) {
    const std::string& sub = args[1];
    if (sub == "create-tenant") {
      if (!parse_flags(args, 2, {"config", "name"}, flags, problem)) return usage(problem.c_str());
      if (!flags.count("name")) return usage("--name is required");
      if (!load(flags, cfg)) return 1;
      return bottega::app::cmd_create_tenant(cfg, flags["name"]);
    }
    if (sub == "create-agent") {
      if (!parse_flags(args, 2, {"config", "tenant", "email", "password", "role", "name"}, flags, problem))
        return usage(problem.c_str());
      for (const char* k : {"tenant", "email", "password", "role"})
        if (!flags.count(k)) return usage((std::string("--") + k + " is required").c_str());
      if (!load(flags, cfg)) return 1;
      return bottega::app::cmd_create_agent(cfg, flags["tenant"], flags["email"], flags["password"], flags["role"],
                                            flags.count("name") ? flags["name"] : "");
    }
  }
  if (cmd == "reconcile") {
    if (!parse_flags(args, 1, {"config", "tenant", "provider"}, flags, problem)) return usage(problem.c_str());
    if (!flags.count("tenant")) return usage("--tenant is required");
    if (!load(flags, cfg)) return 1;
    return bottega::app::cmd_reconcile(cfg, flags["tenant"], flags.count("provider") ? flags["provider"] : "");
  }
  if (cmd == "kb" && args.size() >= 2) {
    const std::string& sub = args[1];
    // One optional positional FILE after the flags.
    std::vector<std::string> rest(args.begin(), args.end());
    std::string file;
    if (rest.size() > 2 && rest.back().rfind("--", 0) != 0 &&
        (rest.size() < 4 || rest[rest.size() - 2].rfind("--", 0) != 0 ||
         rest[rest.size() - 2].find('=') != std::string::npos)) {
      file = rest.back();
      rest.pop_back();
    }
    if (sub == "import") {
      if (!parse_flags(rest, 2, {"config", "tenant", "replace"}, flags, problem)) return usage(problem.c_str());
      if (!flags.count("tenant")) return usage("--tenant is required");
      if (file.empty()) return usage("kb import needs a FILE");
      if (flags.count("replace") && flags["replace"] != "true" && flags["replace"] != "false")
        return usage("--replace is true or false");
      if (!load(flags, cfg)) return 1;
      return bottega::app::cmd_kb_import(cfg, flags["tenant"], file, flags["replace"] == "true");
    }
    if (sub == "export") {
      if (!parse_flags(rest, 2, {"config", "tenant", "format"}, flags, problem)) return usage(problem.c_str());
      if (!flags.count("tenant")) return usage("--tenant is required");
      std::string format = flags.count("format") ? flags["format"] : "json";
      if (format != "json" && format != "markdown") return usage("--format is json or markdown");
      if (!load(flags, cfg)) return 1;
      return bottega::app::cmd_kb_export(cfg, flags["tenant"], format, file.empty() ? "-" : file);
    }
    if (sub == "eval") {
      if (!file.empty()) return usage("kb eval takes no FILE (use --set)");
      if (!parse_flags(rest, 2, {"set", "kb", "results"}, flags, problem)) return usage(problem.c_str());
      return bottega::app::cmd_kb_eval(flags.count("set") ? flags["set"] : "", flags.count("kb") ? flags["kb"] : "",
                                       flags.count("results") ? flags["results"] : "");
    }
  }
  return usage(("unknown command " + cmd).c_str());
}
