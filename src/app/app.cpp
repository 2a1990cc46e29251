#include "app/app.hpp"

#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "bottega/clock.hpp"
#include "bottega/store.hpp"
#include "channels/registry.hpp"
#include "commerce/demo.hpp"
#include "commerce/cards.hpp"
#include "commerce/whatsapp_orders.hpp"
#include "core/crypto.hpp"
#include "core/metrics.hpp"
#include "http/api/channel_test_routes.hpp"
#include "http/api/common.hpp"
#include "http/client.hpp"
#include "http/server.hpp"
#include "payments/engine.hpp"
#include "payments/service.hpp"
#include "http/smtp_client.hpp"
#include "http/smtp_server.hpp"
#include "pipeline/email.hpp"
#include "pipeline/email_verification.hpp"
#include "bot/bot_repo.hpp"
#include "bot/eval.hpp"
#include "bot/service.hpp"
#include "service/proactive.hpp"
#include "service/service.hpp"
#include "pipeline/channel_send.hpp"
#include "pipeline/media.hpp"
#include "pipeline/rate_bucket.hpp"
#include "pipeline/dispatcher.hpp"
#include "pipeline/jobs.hpp"
#include "pipeline/webhooks.hpp"
#include "realtime/hub.hpp"
#include "reports/listener.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/repo/repo.hpp"

namespace bottega::app {

namespace fs = std::filesystem;
namespace asio = boost::asio;
namespace bj = boost::json;

std::string find_web_root(const std::string& configured) {
  if (!configured.empty()) return configured;
  std::vector<fs::path> candidates;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back(exe.parent_path() / ".." / "web" / "dist");
    candidates.push_back(exe.parent_path() / ".." / "share" / "bottega" / "web");
  }
  candidates.push_back(fs::current_path() / "web" / "dist");
  for (const auto& c : candidates)
    if (fs::exists(c / "index.html")) return fs::weakly_canonical(c).string();
  return candidates.front().lexically_normal().string();
}

namespace {

Result<std::unique_ptr<store::Store>> open(const Config& cfg, bool migrate) {
  store::StoreOptions so;
  so.readers = static_cast<size_t>(cfg.store.readers);
  so.max_batch = static_cast<size_t>(cfg.store.max_batch);
  return store::open_store(cfg.store.url, so, migrate);
}

// Mail received by the SMTP/LMTP listener: recipients checked against email_routes, messages
// parsed on the CPU pool and stored in one write; the listener answers 250 after the commit.
class StoreMailSink final : public http::MailSink {
 public:
  StoreMailSink(store::Store& store, pipeline::Env env, asio::thread_pool& cpu, size_t max_bytes)
      : store_(store), env_(std::move(env)), cpu_(cpu) {
    limits_.max_bytes = max_bytes;
  }
  void check_recipient(std::string address, std::function<void(bool)> done) override {
    store_.read([address, done](store::Tx& tx) {
      bool ok = false;
      try {
        ok = pipeline::email::find_route(tx, address).has_value();
      } catch (const store::DbError&) {
      }
      done(ok);
    });
  }
  void deliver(std::string, std::vector<std::string> rcpts, std::string message,
               std::function<void(http::DeliveryResult)> done) override {
    asio::post(cpu_, [this, rcpts = std::move(rcpts), message = std::move(message), done]() mutable {
      auto parsed = std::make_shared<Result<channels::email::ParsedMail>>(channels::email::parse_mail(message, limits_));
      if (!*parsed || !(*parsed)->from || (*parsed)->from->address.empty())
        return done(http::DeliveryResult::rejected);
      auto raw = std::make_shared<std::string>(std::move(message));
      pipeline::Env env = env_;
      store_.write([env, rcpts, parsed, raw](store::Tx& tx) mutable -> Status {
        auto r = pipeline::email::ingest_mail(tx, env, rcpts, **parsed, *raw);
        if (!r) return std::move(r).error();
        return {};
      }, [done](Status st) { done(st.ok() ? http::DeliveryResult::committed : http::DeliveryResult::deferred); });
    });
  }

 private:
  store::Store& store_;
  pipeline::Env env_;
  asio::thread_pool& cpu_;
  channels::email::MimeLimits limits_;
};

int fail(const Error& e) {
  std::fprintf(stderr, "bottega: %s%s%s\n", e.field.empty() ? "" : e.field.c_str(), e.field.empty() ? "" : ": ",
               e.message.c_str());
  return 1;
}

}  // namespace

int run_server(Config cfg, const RunOptions& ro) {
  auto st = open(cfg, true);
  if (!st) return fail(st.error());
  auto store = std::move(st).value();

  SystemClock clock;
  RandomIdGenerator ids(clock);
  Metrics metrics;
  realtime::Hub hub;
  asio::io_context io(cfg.server.threads);
  asio::thread_pool cpu(1);
  http::api::RateLimiter limiter;

  // The key that signs public URLs of agents' files (GET /media/...): configured, or one random
  // key kept in the database so every node signs and checks alike and links survive restarts.
  std::string media_url_key = cfg.media.url_secret;
  if (media_url_key.empty()) {
    std::string fresh = crypto::random_token(32);
    int64_t now = clock.now_ms();
    auto ks = store::write_sync(*store, [&](store::Tx& tx) -> Status {
      media_url_key = pipeline::media::server_key(tx, "media_url", fresh, now);
      return {};
    });
    if (!ks) return fail(ks.error());
  }

  http::ClientOptions co;
  co.allow_private_networks = cfg.outbound.allow_private_networks;
  http::BeastHttpClient client(io, co);

  pipeline::JobRunnerOptions jo;
  jo.owner = "node-" + std::to_string(::getpid()) + "-" + crypto::hex(crypto::random_bytes(4));
  jo.lease_ms = int64_t{cfg.cluster.job_lease_seconds} * 1000;
  pipeline::DispatcherOptions dopts;
  // PostgreSQL may be shared by several nodes: once-per-database event work goes to the holder
  // of the dispatcher lease. A SQLite database has one process.
  dopts.shared = store->dialect() == "postgresql";
  dopts.owner = jo.owner;
  dopts.lease_ms = int64_t{cfg.cluster.dispatcher_lease_seconds} * 1000;
  pipeline::Dispatcher dispatcher(*store, metrics, dopts);
  pipeline::JobRunner runner(*store, clock, metrics, jo);
  pipeline::WebhookOptions wo;
  wo.max_age_ms = int64_t{cfg.webhooks.max_age_hours} * 3600 * 1000;
  pipeline::WebhookService webhooks(*store, client, clock, ids, metrics, runner, wo);
  runner.add_handler("webhook", [&webhooks](const repo::Job& j, std::function<void(pipeline::JobOutcome)> done) {
    webhooks.run(j, std::move(done));
  });
  // What every service writes with: its commits wake the dispatcher and hand it their events in
  // memory (Dispatcher::offer); `jobs`: they also wake the job runner.
  auto env_of = [&clock, &ids, &dispatcher, &runner](bool jobs) {
    return pipeline::Env{clock, ids, [&dispatcher] { dispatcher.notify(); },
                         jobs ? std::function<void()>([&runner] { runner.notify(); }) : std::function<void()>(),
                         [&dispatcher](Event e) { dispatcher.offer(std::move(e)); }};
  };
  pipeline::ChannelSender sender(*store, client, env_of(false),
                                 metrics, cfg.server.public_url);
  runner.add_handler("channel.send", [&sender](const repo::Job& j, std::function<void(pipeline::JobOutcome)> done) {
    sender.run(j, std::move(done));
  });
  http::SmtpClientOptions mco;
  mco.allow_private_networks = cfg.outbound.allow_private_networks;
  mco.extra_ca_file = cfg.email.relay_ca_file;
  http::SmtpMailClient mail_client(io, mco);
  pipeline::email::EmailSender email_sender(
      *store, mail_client, env_of(false), metrics,
      cfg.email.hostname);
  runner.add_handler("email.send", [&email_sender](const repo::Job& j, std::function<void(pipeline::JobOutcome)> done) {
    email_sender.run(j, std::move(done));
  });
  StoreMailSink mail_sink(*store, env_of(true),
                          cpu, static_cast<size_t>(cfg.email.max_message_bytes));
  http::SmtpServerOptions smo;
  smo.listen = cfg.email.listen;
  smo.idle_timeout_s = cfg.email.idle_timeout_s;
  smo.session.hostname = cfg.email.hostname;
  smo.session.lmtp = cfg.email.protocol == "lmtp";
  smo.session.max_message_bytes = static_cast<size_t>(cfg.email.max_message_bytes);
  smo.session.max_recipients = static_cast<size_t>(cfg.email.max_recipients);
  http::SmtpServer smtp(io, smo, mail_sink, metrics);
  // The bot: a cluster listener (once per database) turns customer messages into bot.turn jobs.
  // Agents online are those connected to this node's hub (with several nodes, an undercount).
  bot::BotService bot_service(*store, env_of(true),
                              metrics, [&hub](const std::string& tenant) {
                                return static_cast<int64_t>(hub.agents_online(tenant));
                              }, &mail_client, cfg.email.hostname);
  runner.add_handler(bot::kTurnJob, [&bot_service](const repo::Job& j, std::function<void(pipeline::JobOutcome)> done) {
    bot_service.run(j, std::move(done));
  });
  runner.add_handler(bot::kSendCodeJob, [&bot_service](const repo::Job& j, std::function<void(pipeline::JobOutcome)> done) {
    bot_service.run_send_code(j, std::move(done));
  });
  // A web chat visitor's email verification code (pipeline/email_verification.hpp).
  pipeline::email_verification::CodeSender email_codes(
      *store, &mail_client, pipeline::Env{clock, ids, [&dispatcher] { dispatcher.notify(); }, [&runner] { runner.notify(); }},
      cfg.email.hostname);
  runner.add_handler(pipeline::email_verification::kSendJob,
                     [&email_codes](const repo::Job& j, std::function<void(pipeline::JobOutcome)> done) {
                       email_codes.run(j, std::move(done));
                     });
  // Customers' media: a cluster listener queues a media.download job per inbound media message.
  pipeline::media::MediaService media_service(
      *store, client, env_of(true),
      metrics, pipeline::media::Options{static_cast<size_t>(cfg.media.max_bytes)});
  runner.add_handler(std::string(pipeline::media::kDownloadJob),
                     [&media_service](const repo::Job& j, std::function<void(pipeline::JobOutcome)> done) {
                       media_service.run(j, std::move(done));
                     });
  sender.set_sends_per_second(cfg.outbound.channel_sends_per_second);
  sender.set_media_url_key(media_url_key);
  dispatcher.add_local_listener(&hub);  // every node's own sockets
  dispatcher.add_listener(&webhooks);   // once per database
  dispatcher.add_listener(&bot_service);
  dispatcher.add_listener(&media_service);
  // Events and jobs committed by other nodes (PostgreSQL NOTIFY); polling covers a lost notice.
  store::watch_changes(*store, [&dispatcher, &runner](std::string_view topic) {
    if (topic == "events") dispatcher.notify();
    else if (topic == "jobs") runner.notify();
  });
  // WhatsApp `order` messages become carts (src/commerce/whatsapp_orders.hpp), once per database.
  commerce::OrderMessageListener order_carts(*store, env_of(false));
  dispatcher.add_listener(&order_carts);
  // A product card's "Add to cart" tap puts the item into the conversation's cart (commerce/cards.hpp).
  commerce::BuyTapListener buy_taps(*store, env_of(false));
  dispatcher.add_listener(&buy_taps);
  // Inbox operations (src/service): the priority score and SLA clock of each conversation, once
  // per database; the breach detector on every node (exactly once per breach by its primary key).
  service::ServiceListener service_listener(*store, env_of(true));
  dispatcher.add_listener(&service_listener);
  service::SlaMonitor sla_monitor(*store, env_of(true),
                                  metrics);
  // Abandoned-cart reminders: queued by the monitor's scan, sent by this durable job (exactly once
  // per cart by the cart_reminders row it claims; src/service/proactive.hpp).
  runner.add_handler(service::kReminderJob, [&store, env_of](const repo::Job& j,
                                                            std::function<void(pipeline::JobOutcome)> done) {
    service::run_reminder_job(*store, env_of(true), j, std::move(done));
  });
  // Report aggregates (src/reports/), once per database, exactly once per event (own cursor).
  reports::ReportsListener reports_listener(*store, metrics);
  dispatcher.add_listener(&reports_listener);

  std::atomic<bool> draining{false};
  http::api::ApiOptions ao;
  ao.public_url = cfg.server.public_url;
  ao.web_root = find_web_root(cfg.server.web_root);
  ao.visitor_messages_per_minute = cfg.webchat.visitor_messages_per_minute;
  ao.ip_messages_per_minute = cfg.webchat.ip_messages_per_minute;
  ao.ip_visitors_per_hour = cfg.webchat.ip_visitors_per_hour;
  ao.allowed_origins = cfg.webchat.allowed_origins;
  ao.upload_max_bytes = static_cast<size_t>(cfg.media.upload_max_bytes);
  ao.media_url_key = media_url_key;
  http::api::Deps deps{*store, clock, ids, metrics, hub, dispatcher, webhooks, cpu, limiter, ao,
                       [&draining] { return !draining.load(); }, [&runner] { runner.notify(); }};
  payments::Engine payments_engine(*store, client, env_of(true),
                                   metrics, [&deps] { return deps.opts.public_url; });
  payments_engine.add_job_handlers(runner);
  deps.payments = &payments_engine;
  http::Router router;
  http::api::register_routes(router, deps);
  http::api::register_channel_test_route(router, deps, client);
  metrics.gauge_fn("bottega_ws_subscribers", "Open realtime subscriptions", [&hub] { return static_cast<double>(hub.size()); });

  http::ServerOptions so;
  so.listen = cfg.server.listen;
  so.max_body_bytes = static_cast<size_t>(cfg.server.max_body_bytes);
  http::Server server(io, so, router, metrics);

  dispatcher.start();
  reports_listener.start();
  runner.start();
  sla_monitor.start();
  auto port = server.start();
  if (!port) {
    sla_monitor.stop();
    runner.stop(0);
    dispatcher.stop();
    reports_listener.stop();
    store->close();
    return fail(port.error());
  }
  if (!cfg.email.listen.empty()) {
    auto sport = smtp.start();
    if (!sport) {
      server.stop();
      sla_monitor.stop();
      runner.stop(0);
      dispatcher.stop();
      reports_listener.stop();
      store->close();
      return fail(sport.error());
    }
    std::printf("bottega email listener (%s) on %s (port %u)\n", cfg.email.protocol.c_str(),
                cfg.email.listen.c_str(), static_cast<unsigned>(*sport));
  }
  if (ro.public_url_follows_port) {
    std::string host = cfg.server.listen.substr(0, cfg.server.listen.rfind(':'));
    deps.opts.public_url = "http://" + host + ":" + std::to_string(*port);
  }
  std::printf("bottega %s listening on %s (port %u), store %s, web %s\n", BOTTEGA_VERSION,
              deps.opts.public_url.c_str(), static_cast<unsigned>(*port), cfg.store.url.c_str(), ao.web_root.c_str());
  std::fflush(stdout);
  if (ro.on_listening) ro.on_listening(*port);

  // Housekeeping: provider dedupe keys are kept 8 days (providers retry for up to 7), idempotency
  // keys 24 hours, early statuses and completed jobs 7 days, uploads no message sent 24 hours.
  asio::steady_timer housekeeping(io);
  std::function<void()> sweep = [&] {
    int64_t now = clock.now_ms();
    store->write([now](store::Tx& tx) -> Status {
      repo::purge_dedupe(tx, now - 8LL * 24 * 3600 * 1000);
      repo::purge_idempotency(tx, now - 24LL * 3600 * 1000);
      repo::purge_early_statuses(tx, now - 7LL * 24 * 3600 * 1000);
      repo::purge_done_jobs(tx, now - 7LL * 24 * 3600 * 1000);
      pipeline::purge_slots(tx, now - 24LL * 3600 * 1000);
      pipeline::media::purge_unbound(tx, now - 24LL * 3600 * 1000);  // uploads never sent
      return {};
    }, [](Status) {});
    housekeeping.expires_after(std::chrono::minutes(10));
    housekeeping.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) sweep();
    });
  };
  sweep();

  // SIGTERM/SIGINT: stop accepting, let in-flight jobs (webhook deliveries, provider sends) finish
  // while the I/O threads still run (their HTTP calls live there), then stop the loop.
  std::thread stopper;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    std::fprintf(stderr, "bottega: shutting down\n");
    draining = true;
    server.stop();
    smtp.stop();
    housekeeping.cancel();
    stopper = std::thread([&] {
      runner.stop(10'000);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));  // in-flight HTTP responses
      io.stop();
    });
  });

  std::vector<std::thread> threads;
  for (int i = 1; i < cfg.server.threads; ++i) threads.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();
  if (stopper.joinable()) stopper.join();
  sla_monitor.stop();
  runner.stop(0);
  dispatcher.stop();
  reports_listener.stop();
  cpu.join();
  store->close();
  return 0;
}

int cmd_migrate(const Config& cfg) {
  auto st = open(cfg, true);
  if (!st) return fail(st.error());
  (*st)->close();
  std::printf("{\"migrated\":true,\"store\":\"%s\"}\n", std::string((*st)->dialect()).c_str());
  return 0;
}

int cmd_create_tenant(const Config& cfg, const std::string& name) {
  if (name.empty() || name.size() > 200) return fail(Error::invalid("--name", "a shop name of 1..200 characters"));
  auto st = open(cfg, true);
  if (!st) return fail(st.error());
  SystemClock clock;
  RandomIdGenerator ids(clock);
  std::string tenant = ids.next("ten");
  std::string token = "bt_" + crypto::random_token(32);
  std::string token_hash = crypto::hex(crypto::sha256(token));
  auto w = store::write_sync(**st, [&](store::Tx& tx) -> Status {
    repo::create_tenant(tx, tenant, name, clock.now_ms());
    repo::create_api_token(tx, ids.next("tok"), tenant, token_hash, "admin (created by CLI)", Role::admin, clock.now_ms());
    return {};
  });
  (*st)->close();
  if (!w) return fail(w.error());
  std::printf("%s\n", bj::serialize(bj::object{{"tenant_id", tenant}, {"api_token", token}}).c_str());
  return 0;
}

int cmd_create_agent(const Config& cfg, const std::string& tenant, const std::string& email,
                     const std::string& password, const std::string& role, const std::string& name) {
  auto r = role_from(role);
  if (!r) return fail(Error::invalid("--role", "role must be admin or agent"));
  if (email.find('@') == std::string::npos || email.size() > 320) return fail(Error::invalid("--email", "not an email address"));
  if (password.size() < 10) return fail(Error::invalid("--password", "use at least 10 characters"));
  auto st = open(cfg, true);
  if (!st) return fail(st.error());
  SystemClock clock;
  RandomIdGenerator ids(clock);
  Agent a{ids.next("agt"), tenant, email, name.empty() ? email.substr(0, email.find('@')) : name, *r};
  std::string hash = crypto::password_hash(password);
  auto w = store::write_sync(**st, [&](store::Tx& tx) -> Status {
    if (!repo::tenant_exists(tx, tenant)) return Error::invalid("--tenant", "no such tenant");
    repo::create_agent(tx, a, hash, clock.now_ms());
    return {};
  });
  (*st)->close();
  if (!w) {
    if (w.error().errc == Errc::conflict) return fail(Error::invalid("--email", "an agent with this email exists"));
    return fail(w.error());
  }
  std::printf("%s\n", bj::serialize(bj::object{{"agent_id", a.id}, {"tenant_id", tenant}, {"email", email},
                                                {"role", role}}).c_str());
  return 0;
}

namespace {

// The demo's provider channels, sending through the provider simulator (tools/sim/sim.mjs): the
// path under the simulator's URL that plays each provider's API.
struct SimChannel {
  const char* type;
  const char* name;
  const char* api_path;
};
constexpr SimChannel kSimChannels[] = {
    {"whatsapp", "WhatsApp (simulator)", "/whatsapp/v21.0"},
    {"telegram", "Telegram (simulator)", "/telegram"},
    {"messenger", "Messenger (simulator)", "/messenger/v21.0"},
    {"instagram", "Instagram (simulator)", "/instagram/v21.0"},
    {"twilio", "Twilio SMS (simulator)", "/twilio"},
    {"viber", "Viber (simulator)", "/viber/pa"},
    {"wechat", "WeChat (simulator)", "/wechat"},
};

constexpr store::Stmt kDemoChannelSettings{
    "demo.channel_settings", "UPDATE channels SET settings = $1 WHERE tenant_id = $2 AND id = $3"};

// A new channel's settings with fresh secrets (the simulator signs its webhooks with them).
bj::object sim_settings(std::string_view type, const std::string& api_base_url) {
  if (type == "whatsapp")
    return bj::object{{"phone_number_id", "106540352242922"},
                      {"access_token", "EAAG" + crypto::random_token(24)},
                      {"app_secret", crypto::hex(crypto::random_bytes(16))},
                      {"verify_token", crypto::random_token(12)},
                      {"api_base_url", api_base_url}};
  if (type == "telegram")
    return bj::object{{"bot_token", "7000000001:" + crypto::random_token(24)},
                      {"secret_token", crypto::random_token(24)}, {"api_base_url", api_base_url}};
  if (type == "twilio")
    return bj::object{{"account_sid", "AC" + crypto::hex(crypto::random_bytes(16))},
                      {"auth_token", crypto::hex(crypto::random_bytes(16))},
                      {"from", "+15005550006"},
                      {"api_base_url", api_base_url}};
  if (type == "viber")
    return bj::object{{"auth_token", crypto::hex(crypto::random_bytes(8)) + "-" + crypto::hex(crypto::random_bytes(8))},
                      {"sender_name", "Bottega Demo"},
                      {"api_base_url", api_base_url}};
  if (type == "wechat")
    return bj::object{{"app_id", "wx" + crypto::hex(crypto::random_bytes(8))},
                      {"app_secret", crypto::hex(crypto::random_bytes(16))},
                      {"token", crypto::hex(crypto::random_bytes(12))},  // 3-32 letters and digits
                      {"api_base_url", api_base_url}};
  // Messenger: the page; Instagram: the professional account (its id in Meta's webhooks).
  std::string account = type == "instagram" ? "17841400000000001" : "105044608990345";
  return bj::object{{"page_id", account},
                    {"page_access_token", "EAAP" + crypto::random_token(24)},
                    {"app_secret", crypto::hex(crypto::random_bytes(16))},
                    {"verify_token", crypto::random_token(12)},
                    {"api_base_url", api_base_url}};
}

// Creates the demo's simulator channels once (remembered in kv demo.sim_channel.<type>), and on
// later runs points them at the simulator's current URL; their messages and secrets stay. Returns
// [{"type","name","channel_id","settings"}] for demo.json.
Result<bj::array> seed_simulator_channels(store::Store& store, const std::string& tenant,
                                          const std::string& sim_url) {
  SystemClock clock;
  RandomIdGenerator ids(clock);
  bj::array out;
  auto w = store::write_sync(store, [&](store::Tx& tx) -> Status {
    out.clear();  // a write fn may run twice
    int64_t now = clock.now_ms();
    for (const auto& sc : kSimChannels) {
      std::string key = std::string("demo.sim_channel.") + sc.type;
      std::string want = sim_url + sc.api_path;
      auto id = repo::kv_get(tx, key);
      std::optional<Channel> ch = id ? repo::get_channel(tx, tenant, *id) : std::nullopt;
      bj::object settings;
      if (ch) {
        boost::system::error_code ec;
        auto v = bj::parse(ch->settings_json, ec);
        if (ec || !v.is_object())
          return Error::internal("the demo channel " + ch->id + " has unreadable settings");
        settings = v.as_object();
        if (settings["api_base_url"] != bj::value(want)) {
          settings["api_base_url"] = want;
          tx.exec(kDemoChannelSettings, {bj::serialize(settings), tenant, ch->id});
        }
      } else {
        settings = sim_settings(sc.type, want);
        ch = Channel{ids.next("ch"), tenant, sc.type, sc.name, bj::serialize(settings), now};
        repo::create_channel(tx, *ch);
        repo::kv_set(tx, key, ch->id);
      }
      const auto* adapter = channels::find_adapter(sc.type);
      if (!adapter || !adapter->parse_settings)
        return Error::internal(std::string("no channel adapter for ") + sc.type);
      if (auto parsed = adapter->parse_settings(settings); !parsed) return std::move(parsed).error();
      out.push_back(bj::object{
          {"type", sc.type}, {"name", ch->name}, {"channel_id", ch->id}, {"settings", settings}});
    }
    return {};
  });
  if (!w) return w.error();
  return out;
}

void write_private_file(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::trunc);
  out << text << "\n";
  out.close();
  std::error_code ec;
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write, ec);
}

}  // namespace

int cmd_demo(uint16_t port, const std::string& data_dir, const std::string& simulator_url) {
  std::string sim_url = simulator_url;
  while (!sim_url.empty() && sim_url.back() == '/') sim_url.pop_back();
  if (!sim_url.empty()) {
    auto u = boost::urls::parse_absolute_uri(sim_url);
    if (!u || (u->scheme() != "http" && u->scheme() != "https") || u->host().empty() ||
        u->has_query() || u->has_fragment())
      return fail(Error::invalid("--simulator-url",
                                 "the simulator's URL, such as http://127.0.0.1:8090"));
  }
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) return fail(Error::invalid("--data-dir", "cannot create " + data_dir + ": " + ec.message()));
  Config cfg;
  cfg.server.listen = "127.0.0.1:" + std::to_string(port);
  cfg.server.public_url = "http://127.0.0.1:" + std::to_string(port);
  cfg.store.url = "sqlite://" + fs::absolute(fs::path(data_dir) / "bottega.db").string();
  cfg.outbound.allow_private_networks = true;  // the demo's simulators and webhooks run on this machine

  auto st = open(cfg, true);
  if (!st) return fail(st.error());
  auto& store = **st;
  fs::path cred_file = fs::path(data_dir) / "demo.json";
  bj::object creds;
  bool seeded = false;
  store::read_sync(store, [&](store::Tx& tx) { seeded = repo::kv_get(tx, "demo.seeded").has_value(); });
  if (!seeded) {
    SystemClock clock;
    RandomIdGenerator ids(clock);
    std::string tenant = ids.next("ten"), channel = ids.next("ch");
    std::string token = "bt_" + crypto::random_token(32);
    std::string alice_pw = crypto::random_token(9), bob_pw = crypto::random_token(9);
    Agent alice{ids.next("agt"), tenant, "alice@demo.shop", "Alice (owner)", Role::admin};
    Agent bob{ids.next("agt"), tenant, "bob@demo.shop", "Bob", Role::agent};
    std::string ah = crypto::password_hash(alice_pw), bh = crypto::password_hash(bob_pw);
    int64_t now = clock.now_ms();
    auto w = store::write_sync(store, [&](store::Tx& tx) -> Status {
      repo::create_tenant(tx, tenant, "Bottega Demo Shop", now);
      repo::create_api_token(tx, ids.next("tok"), tenant, crypto::hex(crypto::sha256(token)), "demo", Role::admin, now);
      repo::create_agent(tx, alice, ah, now);
      repo::create_agent(tx, bob, bh, now);
      repo::create_channel(tx, Channel{channel, tenant, "webchat", "Demo shop chat",
                                       R"({"greeting":"Ciao! Ask us anything about our shoes, sizes or delivery."})", now});
      BOTTEGA_TRY_STATUS(commerce::seed_demo_catalog(tx, ids, tenant, now));
      // The built-in sandbox payment provider: payment links work out of the box.
      Principal owner;
      owner.tenant_id = tenant;
      owner.agent_id = alice.id;
      owner.role = Role::admin;
      pipeline::Env env{clock, ids, {}, {}};
      auto psp = payments::create_provider(tx, env, owner, "sandbox", "Sandbox payments", bj::object{});
      if (!psp) return std::move(psp).error();
      // The demo shop's knowledge base: the bot answers in the web chat from the start.
      auto kb = bot::parse_kb_json(bot::demo_kb_json());
      if (!kb) return std::move(kb).error();
      bot::repo::import_entries(tx, tenant, *kb, now);
      repo::kv_set(tx, "demo.seeded", "1");
      return {};
    });
    if (!w) return fail(w.error());
    creds = bj::object{{"tenant_id", tenant}, {"api_token", token}, {"channel_id", channel},
                       {"agents", bj::array{bj::object{{"email", alice.email}, {"password", alice_pw}, {"role", "admin"}},
                                            bj::object{{"email", bob.email}, {"password", bob_pw}, {"role", "agent"}}}}};
    write_private_file(cred_file, bj::serialize(creds));
  } else {
    std::ifstream in(cred_file);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    boost::system::error_code jec;
    auto v = bj::parse(text, jec);
    if (jec || !v.is_object()) return fail(Error::internal("the demo data in " + data_dir + " has no demo.json; delete the folder to start over"));
    creds = v.as_object();
  }
  if (!sim_url.empty()) {
    auto sim = seed_simulator_channels(store, std::string(creds["tenant_id"].as_string()), sim_url);
    if (!sim) return fail(sim.error());
    creds["simulator"] = bj::object{{"url", sim_url}, {"channels", std::move(*sim)}};
    write_private_file(cred_file, bj::serialize(creds));
  }
  store.close();

  RunOptions ro;
  ro.public_url_follows_port = true;
  ro.on_listening = [&](uint16_t p) {
    std::string base = "http://127.0.0.1:" + std::to_string(p);
    std::string channel(creds["channel_id"].as_string());
    std::printf("\nBottega demo is running.\n\n");
    std::printf("  Customer web chat:  %s/chat/%s\n", base.c_str(), channel.c_str());
    if (!sim_url.empty())
      std::printf("  Customer phone:     %s/phone (WhatsApp, Telegram, Messenger, Instagram through"
                  " the provider simulator)\n",
                  sim_url.c_str());
    std::printf("  Agent console:      %s/\n", base.c_str());
    for (const auto& a : creds["agents"].as_array()) {
      const auto& o = a.as_object();
      std::printf("  Agent login:        %s / %s (%s)\n", std::string(o.at("email").as_string()).c_str(),
                  std::string(o.at("password").as_string()).c_str(), std::string(o.at("role").as_string()).c_str());
    }
    std::printf("  API token:          %s\n", std::string(creds["api_token"].as_string()).c_str());
    std::printf("  Widget snippet:     <script src=\"%s/widget.js\" data-channel=\"%s\" async></script>\n", base.c_str(),
                channel.c_str());
    std::printf("  Data:               %s (delete it to start over)\n\nPress Ctrl-C to stop.\n", data_dir.c_str());
    std::fflush(stdout);
  };
  return run_server(cfg, ro);
}

}  // namespace bottega::app
