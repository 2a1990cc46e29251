// The bot in the message path. As an event listener it turns each committed customer message
// (message.created from a contact) into a durable "bot.turn" job; the job handler decides (see
// engine.hpp) and commits, in one transaction, the bot's reply (sent through the channel like an
// agent's), the turn log row, the conversation's tags, and on handover an internal note with the
// summary for the agent.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bot/bot_repo.hpp"
#include "bot/index.hpp"
#include "bottega/events.hpp"
#include "bottega/mail_client.hpp"
#include "bottega/store.hpp"
#include "core/metrics.hpp"
#include "pipeline/jobs.hpp"
#include "pipeline/services.hpp"

namespace bottega::bot {

inline constexpr const char* kTurnJob = "bot.turn";
// Emails a one-time code for order verification: {"conversation_id","order_id","email","nonce"}.
// The code is made when the job runs and only its HMAC is kept (in the conversation's bot state),
// so it is never stored in clear; a retried job sends a new code, replacing the old one.
inline constexpr const char* kSendCodeJob = "bot.send_code";

class BotService final : public EventListener {
 public:
  // agents_online(tenant): agents connected now (for the expected wait); may be empty.
  // mail: the relay client for one-time codes (null: codes cannot be sent, the job fails).
  BotService(store::Store& store, pipeline::Env env, Metrics& metrics,
             std::function<int64_t(const std::string&)> agents_online, MailClient* mail = nullptr,
             std::string helo_name = "localhost");

  // EventListener (dispatcher thread): collects customer messages, enqueues their jobs at the
  // end of the batch (idempotent per message).
  void on_event(const Event& e) override;
  void on_batch_end() override;

  // Job handler for kTurnJob.
  void run(const ::bottega::repo::Job& job, std::function<void(pipeline::JobOutcome)> done);
  // Job handler for kSendCodeJob.
  void run_send_code(const ::bottega::repo::Job& job, std::function<void(pipeline::JobOutcome)> done);

  // One bot turn for an inbound message, inside the caller's write transaction. Does nothing when
  // the bot is off for the conversation (no entries, channel switched off, handed over, assigned,
  // resolved) or the message already had its turn. Returns the turn when one was taken.
  Result<std::optional<repo::Turn>> take_turn(store::Tx& tx, const std::string& tenant,
                                              const std::string& message_id);

  // The tenant's index for kb_version (rebuilt from the store when the version moved).
  std::shared_ptr<const KbIndex> index(store::Tx& tx, const std::string& tenant, int64_t kb_version);

 private:
  struct Cached {
    int64_t version = -1;
    std::shared_ptr<const KbIndex> index;
  };
  struct Pending {
    std::string tenant, message_id;
  };

  store::Store& store_;
  pipeline::Env env_;
  Metrics& metrics_;
  std::function<int64_t(const std::string&)> agents_online_;
  MailClient* mail_;
  std::string helo_;
  std::mutex mu_;
  std::map<std::string, Cached> cache_;  // GUARDED_BY(mu_)
  std::vector<Pending> pending_;         // dispatcher thread only
};

}  // namespace bottega::bot
