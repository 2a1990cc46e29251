// One-time codes mailed to a customer to prove an email address: the bot's order-status check and
// the web chat's email verification use this one code path. The code (6 digits) exists only in
// the mail and in the job that made it; what is kept is HMAC-SHA256(nonce, code), with an expiry
// and an attempt limit. Mail goes out through the tenant's first email channel that has an
// outgoing relay.
#pragma once

#include <boost/json/value.hpp>
#include <functional>
#include <optional>
#include <string>

#include "bottega/mail_client.hpp"
#include "bottega/store.hpp"
#include "pipeline/jobs.hpp"

namespace bottega::pipeline::otp {

inline constexpr int64_t kTtlMs = 15 * 60 * 1000;  // a code is good for 15 minutes
inline constexpr int kMaxAttempts = 3;             // wrong codes before it is dropped

// Six random decimal digits.
std::string make_code();
// The kept form of a code: hex HMAC-SHA256 keyed with the request's nonce.
std::string code_hash(const std::string& nonce, const std::string& code);

// A pending code as its owner keeps it.
struct Pending {
  std::string nonce, hash;  // hash empty: the mail has not been sent yet
  int64_t expires_at = 0;
  int attempts = 0;
};
enum class Verdict { ok, expired, wrong, exhausted, not_sent };
// Checks `given` in constant time. `wrong` means one more attempt is counted and some are left;
// `exhausted` that this wrong attempt was the last (the owner drops the code). An expired code
// is `expired` whatever is given.
Verdict check(const Pending& p, const std::string& given, int64_t now_ms);

// The code mail, composed for the relay of the tenant's first email channel that has one
// (nullopt: no such channel). `ref` makes the Message-ID (stable per request).
// Whether the tenant can mail codes (an email channel with an outgoing relay).
bool can_send(store::Tx& tx, const std::string& tenant);
struct CodeMail {
  std::string to, subject, text, ref, conversation_id;
};
std::optional<MailRequest> compose(store::Tx& tx, const std::string& tenant, const CodeMail& mail,
                                   const std::string& helo, int64_t now_ms);

// The job both users run. `prepare` runs in a write transaction with a fresh code: it stores the
// code's hash where its checker reads it and returns the mail, or nullopt with `why` set (stale
// request, no relay: the job ends without sending). Then the mail is relayed: a temporary relay
// failure retries the job (which makes a new code), a permanent one fails it.
using Prepare = std::function<std::optional<MailRequest>(store::Tx&, const std::string& code, std::string& why)>;
void run_code_job(store::Store& store, MailClient* mail, Prepare prepare, std::function<void(JobOutcome)> done);

// The string members of a code job's JSON payload (the job kinds that call run_code_job store a
// flat object of strings): a missing, non-string member, or a payload that is not a JSON object,
// reads as "".
class PayloadFields {
 public:
  explicit PayloadFields(const std::string& payload_json);
  std::string operator()(const char* key) const;

 private:
  boost::json::value v_;
  bool ok_ = false;
};

}  // namespace bottega::pipeline::otp
