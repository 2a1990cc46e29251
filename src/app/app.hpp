// The composition root: builds every component from the configuration, in dependency order, and
// runs the server until SIGINT/SIGTERM. main.cpp only parses the command line.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "app/config/config.hpp"
#include "bottega/errors.hpp"

namespace bottega::app {

struct RunOptions {
  // Called once the server listens, with the bound port (tests and `demo` print URLs here).
  std::function<void(uint16_t port)> on_listening;
  bool public_url_follows_port = false;  // demo with port 0: public_url takes the bound port
};

// Opens the store (applying migrations), starts the pipeline and the HTTP server, and blocks
// until a termination signal. Returns a process exit code.
int run_server(Config cfg, const RunOptions& opts);

// CLI commands; each prints its result on stdout and returns an exit code.
int cmd_migrate(const Config& cfg);
int cmd_create_tenant(const Config& cfg, const std::string& name);
int cmd_create_agent(const Config& cfg, const std::string& tenant, const std::string& email,
                     const std::string& password, const std::string& role, const std::string& name);
// The demo shop in data_dir on 127.0.0.1:port. With simulator_url (tools/sim/sim.mjs, e.g.
// http://127.0.0.1:8090) it also has WhatsApp, Telegram, Messenger and Instagram channels sending
// through the simulator, their secrets written to data_dir/demo.json for its customer phone page.
int cmd_demo(uint16_t port, const std::string& data_dir, const std::string& simulator_url = "");
// Knowledge base: import a JSON or Markdown file (by extension .md/.markdown, else JSON), export
// (format json|markdown) to a file or stdout ("-"), evaluate the bot on a labelled message set.
int cmd_kb_import(const Config& cfg, const std::string& tenant, const std::string& file, bool replace);
int cmd_kb_export(const Config& cfg, const std::string& tenant, const std::string& format, const std::string& file);
// kb_file empty: the demo shop's knowledge base. results_md non-empty: also writes the report
// into that Markdown file's "Bot evaluation" section. Exit code 1 when a goal is missed.
int cmd_kb_eval(const std::string& set_file, const std::string& kb_file, const std::string& results_md);

// `bottega reconcile`: the ledger against each provider's records (all the shop's providers, or
// one); prints the report as JSON; exit code 0 when everything agrees, 1 otherwise.
int cmd_reconcile(const Config& cfg, const std::string& tenant, const std::string& provider_id);

// Where the built front end is: cfg.server.web_root if set, else next to the binary.
std::string find_web_root(const std::string& configured);

}  // namespace bottega::app
