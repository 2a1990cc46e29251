// The email channel's storage side: which channel receives an address (email_routes), storing
// received mail threaded into its conversation, and the "email.send" job that relays an agent's
// reply over SMTP with threading headers. SQL for these lives here (email.cpp).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bottega/mail_client.hpp"
#include "bottega/store.hpp"
#include "channels/email/email.hpp"
#include "core/metrics.hpp"
#include "pipeline/jobs.hpp"
#include "pipeline/services.hpp"

namespace bottega::pipeline::email {

struct Route {
  std::string tenant_id, channel_id;
};
// Claims `addresses` for a channel. Errors: conflict "address_taken" when any is routed already
// (to any tenant's channel).
Status add_routes(Tx& tx, const std::string& tenant, const std::string& channel_id,
                  const std::vector<std::string>& addresses, int64_t now);
// The channel for a recipient: its base address (a "+token" is ignored, case of the local part
// too), or nullopt.
std::optional<Route> find_route(Tx& tx, const std::string& recipient);

struct MailOutcome {
  int stored = 0, duplicates = 0, unrouted = 0;
};
// Stores one received mail for each recipient's channel, in this transaction: deduplicated by
// Message-ID per channel; the sender becomes (or is found as) the contact; threaded into the
// conversation of the channel that holds a message named by In-Reply-To / References, else the
// one named by the recipient's +token, else a new conversation with the mail's subject.
// Automated mail (auto-replies, bulk, lists) is stored with content.automated and no_auto_reply.
// Errors: invalid_argument "no_sender" when the mail has no From address.
Result<MailOutcome> ingest_mail(Tx& tx, Env& env, const std::vector<std::string>& recipients,
                                const channels::email::ParsedMail& mail, std::string_view raw);

// The request that relays `data` (an RFC 5322 message) to `to` through the channel's SMTP relay.
MailRequest relay_request(const channels::email::Settings& s, const std::string& helo, const std::string& to,
                          std::string data);

// The "email.send" job: composes the reply (In-Reply-To the customer's last Message-ID,
// References its chain, our Message-ID stable across retries, Reply-To address+conversation)
// and relays it; records our Message-ID as the message's provider id (threading the customer's
// answer), or marks the message failed on a permanent refusal.
class EmailSender {
 public:
  EmailSender(store::Store& store, MailClient& mail, Env env, Metrics& metrics, std::string helo_name)
      : store_(store), mail_(mail), env_(std::move(env)), metrics_(metrics), helo_(std::move(helo_name)) {}
  void run(const repo::Job& job, std::function<void(JobOutcome)> done);

 private:
  store::Store& store_;
  MailClient& mail_;
  Env env_;
  Metrics& metrics_;
  std::string helo_;
};

}  // namespace bottega::pipeline::email
