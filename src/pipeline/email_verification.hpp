// A web chat visitor proves an email address with a one-time code mailed to it (the code path of
// pipeline/one_time_code.hpp, shared with the bot's order check), and is then merged with the one
// contact that verified the same address before (an email sender the trusted MTA proved, or the
// same person's visitor on another browser): the visitor sees that contact's earlier
// conversations on this web chat channel, and every conversation keeps its channel.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "bottega/mail_client.hpp"
#include "bottega/store.hpp"
#include "pipeline/contacts.hpp"
#include "pipeline/jobs.hpp"
#include "store/repo/repo.hpp"

namespace bottega::pipeline::email_verification {

// {"visitor_id","nonce"}: mails the visitor's pending code (made when the job runs).
inline constexpr const char* kSendJob = "webchat.email_code";

struct Started {
  std::string email;  // normalized
  int64_t expires_at = 0;
};
// Replaces the visitor's pending verification with one for `email` and queues the code's mail.
// Errors: 400 email (not one address), 409 no_relay (the shop has no email channel that sends).
Result<Started> start(Tx& tx, Env& env, const repo::Visitor& v, const std::string& email);

enum class Outcome { verified, wrong_code, expired, exhausted, none_pending };
struct Confirmed {
  Outcome outcome = Outcome::none_pending;
  int attempts_left = 0;                 // wrong_code
  std::string email;                     // verified
  std::optional<ContactView> contact;    // verified: the visitor's contact now (the kept one after a merge)
  std::string merged_contact_id;         // verified and merged: the visitor's former contact
  std::string not_merged;                // verified, not merged: why ("" when no contact matched)
};
// Checks `code` against the visitor's pending verification (writes the attempt count, drops the
// code when expired, used or exhausted). On success records the verified address on the visitor's
// contact, and merges that contact into the one other contact with the address verified (none or
// several: no merge). Never returns an error for a wrong code: the caller answers it after commit
// so the counted attempt is kept.
Result<Confirmed> confirm(Tx& tx, Env& env, const repo::Visitor& v, const std::string& code);

// The kSendJob handler.
class CodeSender {
 public:
  CodeSender(store::Store& store, MailClient* mail, Env env, std::string helo)
      : store_(store), mail_(mail), env_(std::move(env)), helo_(std::move(helo)) {}
  void run(const repo::Job& job, std::function<void(JobOutcome)> done);

 private:
  store::Store& store_;
  MailClient* mail_;
  Env env_;
  std::string helo_;
};

}  // namespace bottega::pipeline::email_verification
