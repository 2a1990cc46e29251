// Server configuration: a TOML file, then BOTTEGA_<SECTION>_<KEY> environment overrides, then
// validation. Every error names the offending key, so bad configuration fails at startup.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "bottega/errors.hpp"

namespace bottega {

struct Config {
  struct Server {
    std::string listen = "127.0.0.1:8080";             // host:port; port 0 picks a free port
    std::string public_url = "http://127.0.0.1:8080";  // no trailing slash after loading
    int threads = 2;
    std::string web_root;  // "" = auto
    int64_t max_body_bytes = 1048576;
  } server;
  struct StoreCfg {
    std::string url = "sqlite://bottega.db";  // sqlite://PATH, postgresql://..., postgres://...
    int readers = 2;
    int max_batch = 256;
  } store;
  struct Webchat {
    int visitor_messages_per_minute = 30;
    int ip_messages_per_minute = 120;
    int ip_visitors_per_hour = 60;
    std::vector<std::string> allowed_origins;  // "scheme://host[:port]", lowercase, no slash
  } webchat;
  struct Outbound {
    bool allow_private_networks = false;
    int timeout_ms = 10000;
    // Provider sends per second per channel, shared by every node (pacing cells in the database);
    // 0: each provider's documented rate (docs/channels.md). A channel's settings.send_rate wins.
    int channel_sends_per_second = 0;
  } outbound;
  struct Media {
    // Customers' media fetched from providers: a larger file is refused, not truncated.
    int64_t max_bytes = 25 << 20;
    // Agents' uploads (POST /api/v1/media): a larger one is refused with 413 media_too_large.
    int64_t upload_max_bytes = 16 << 20;
    // Signs the expiring public URLs providers fetch agents' files from (GET /media/...); empty:
    // a random key created once and kept in the database (server_keys), shared by every node.
    std::string url_secret;
  } media;
  struct Webhooks {
    int max_age_hours = 72;
    int max_attempts = 25;
  } webhooks;
  struct Email {
    std::string listen;                 // "" = no listener; "127.0.0.1:2525" (port 0: any)
    std::string protocol = "smtp";      // smtp | lmtp (for Postfix's lmtp transport)
    std::string hostname = "localhost"; // greeting, EHLO name and our HELO to relays
    int64_t max_message_bytes = 10 << 20;
    int max_recipients = 50;
    int idle_timeout_s = 300;
    std::string relay_ca_file;          // extra trusted CA (PEM) for SMTP relays' STARTTLS
  } email;
  struct Cluster {
    // A job whose node died is retried by another node this long after it was claimed; a job
    // still running after this long may run a second time (its completion is recorded once).
    int job_lease_seconds = 60;
    // A dead node's share of the once-per-database event work (merchant webhook jobs) is taken
    // over this long after its last renewal (PostgreSQL only).
    int dispatcher_lease_seconds = 10;
  } cluster;
  struct Log {
    std::string level = "info";  // debug | info | warn | error
  } log;
};

// Loads `path` (may be empty: defaults only), then applies BOTTEGA_<SECTION>_<KEY> environment
// overrides (e.g. BOTTEGA_SERVER_LISTEN, BOTTEGA_STORE_URL, BOTTEGA_WEBCHAT_ALLOWED_ORIGINS as a
// comma-separated list), then validates. Errors name the key: "unknown key server.lisen",
// "server.threads: expected an integer between 1 and 64", "server.public_url: must be an http(s)
// URL". Unknown sections and keys fail, in the file and in env vars under a known section; env
// vars whose second word is not a section (BOTTEGA_BIN, BOTTEGA_SOURCE_DIR) are ignored. After
// the BOTTEGA_ prefix, env names match case-insensitively. On success public_url has no trailing
// slash and origins are lowercased without one. Every error is Error::invalid(key, message,
// "invalid_config"); file-level errors (unreadable file, TOML syntax with line and column) have an
// empty key.
Result<Config> load_config(const std::string& path,
                           const std::vector<std::pair<std::string, std::string>>& env);

// The current process's environment, only the BOTTEGA_* entries.
std::vector<std::pair<std::string, std::string>> process_env();

}  // namespace bottega
