#include "pipeline/email_verification.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/crypto.hpp"
#include "pipeline/one_time_code.hpp"

namespace bottega::pipeline::email_verification {

namespace bj = boost::json;
using store::Stmt;

namespace {

constexpr Stmt kPut{
    "email_verifications.put",
    "INSERT INTO email_verifications (tenant_id, visitor_id, email, nonce, code_hash, expires_at, attempts, created_at) "
    "VALUES ($1, $2, $3, $4, '', $5, 0, $6) ON CONFLICT (tenant_id, visitor_id) DO UPDATE SET email = excluded.email, "
    "nonce = excluded.nonce, code_hash = '', expires_at = excluded.expires_at, attempts = 0, created_at = excluded.created_at"};
constexpr Stmt kGet{"email_verifications.get",
                    "SELECT email, nonce, code_hash, expires_at, attempts FROM email_verifications "
                    "WHERE tenant_id = $1 AND visitor_id = $2"};
constexpr Stmt kSetHash{"email_verifications.set_hash",
                        "UPDATE email_verifications SET code_hash = $4 WHERE tenant_id = $1 AND visitor_id = $2 AND nonce = $3"};
constexpr Stmt kSetAttempts{"email_verifications.attempts",
                            "UPDATE email_verifications SET attempts = $3 WHERE tenant_id = $1 AND visitor_id = $2"};
constexpr Stmt kDrop{"email_verifications.drop",
                     "DELETE FROM email_verifications WHERE tenant_id = $1 AND visitor_id = $2"};
constexpr Stmt kVisitorById{"email_verifications.visitor",
                            "SELECT contact_id, channel_id FROM visitors WHERE tenant_id = $1 AND id = $2"};
constexpr Stmt kSetContactEmail{
    "email_verifications.contact_email",
    "UPDATE contacts SET email = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2 AND email IS NULL"};

}  // namespace

Result<Started> start(Tx& tx, Env& env, const repo::Visitor& v, const std::string& email) {
  auto norm = normalize_email(email);
  if (!norm) return Error::invalid("email", "one email address, such as ana@example.com");
  if (!otp::can_send(tx, v.tenant_id))
    return Error::conflict("no_relay", "this shop cannot send email (no email channel with an outgoing relay)");
  int64_t now = env.clock.now_ms();
  Started s{*norm, now + otp::kTtlMs};
  std::string nonce = crypto::random_token(16);
  tx.exec(kPut, {v.tenant_id, v.id, *norm, nonce, s.expires_at, now});
  repo::Job j;
  j.id = env.ids.next("job");
  j.tenant_id = v.tenant_id;
  j.kind = kSendJob;
  j.idempotency_key = "email-code:" + nonce;
  j.payload_json = bj::serialize(bj::object{{"visitor_id", v.id}, {"nonce", nonce}});
  j.run_at = now;
  j.deadline_at = s.expires_at;  // the code expires then anyway
  repo::enqueue_job(tx, j, now);
  tx.after_commit([on_job = env.on_job] {
    if (on_job) on_job();
  });
  return s;
}

Result<Confirmed> confirm(Tx& tx, Env& env, const repo::Visitor& v, const std::string& code) {
  Confirmed out;
  auto row = tx.query_one(kGet, {v.tenant_id, v.id});
  if (!row) return out;  // none_pending
  int64_t now = env.clock.now_ms();
  otp::Pending p{row->str(1), row->str(2), row->i64(3), static_cast<int>(row->i64(4))};
  switch (otp::check(p, code, now)) {
    case otp::Verdict::expired:
      tx.exec(kDrop, {v.tenant_id, v.id});
      out.outcome = Outcome::expired;
      return out;
    case otp::Verdict::not_sent:  // the mail is not out yet: no code can be right
    case otp::Verdict::wrong:
      if (p.attempts + 1 >= otp::kMaxAttempts) {
        tx.exec(kDrop, {v.tenant_id, v.id});
        out.outcome = Outcome::exhausted;
        return out;
      }
      tx.exec(kSetAttempts, {v.tenant_id, v.id, int64_t{p.attempts + 1}});
      out.outcome = Outcome::wrong_code;
      out.attempts_left = otp::kMaxAttempts - p.attempts - 1;
      return out;
    case otp::Verdict::exhausted:
      tx.exec(kDrop, {v.tenant_id, v.id});
      out.outcome = Outcome::exhausted;
      return out;
    case otp::Verdict::ok:
      break;
  }
  tx.exec(kDrop, {v.tenant_id, v.id});
  out.outcome = Outcome::verified;
  out.email = row->str(0);
  // The visitor's contact as it is now (an earlier verification may have merged it already).
  auto vis = tx.query_one(kVisitorById, {v.tenant_id, v.id});
  if (!vis) return Error::not_found("visitor");
  std::string contact = vis->str(0);
  record_verified_email(tx, v.tenant_id, contact, out.email, "webchat_code", now);
  tx.exec(kSetContactEmail, {v.tenant_id, contact, out.email, now});
  if (auto other = contact_by_verified_email(tx, v.tenant_id, out.email, contact, "")) {
    auto merged = merge_contacts(tx, env, v.tenant_id, *other, contact, true);
    if (merged) {
      out.merged_contact_id = contact;
      out.contact = std::move(merged->contact);
      return out;
    }
    if (merged.error().errc != Errc::conflict) return std::move(merged).error();
    out.not_merged = merged.error().code;  // e.g. identity_conflict: both stay, both verified
  }
  auto view = get_contact(tx, v.tenant_id, contact);
  if (!view) return std::move(view).error();
  out.contact = std::move(*view);
  return out;
}

void CodeSender::run(const repo::Job& job, std::function<void(JobOutcome)> done) {
  const otp::PayloadFields field(job.payload_json);
  std::string tenant = job.tenant_id, visitor = field("visitor_id"), nonce = field("nonce");
  if (visitor.empty() || nonce.empty()) return done(JobOutcome{false, "bad webchat.email_code payload", std::nullopt, true});
  otp::run_code_job(
      store_, mail_,
      [this, tenant, visitor, nonce](Tx& tx, const std::string& code, std::string& why) -> std::optional<MailRequest> {
        auto row = tx.query_one(kGet, {tenant, visitor});
        if (!row || row->str(1) != nonce) {
          why = "stale: the visitor asked for another code since";
          return std::nullopt;
        }
        int64_t now = env_.clock.now_ms();
        if (now >= row->i64(3)) {
          why = "expired before it was sent";
          return std::nullopt;
        }
        otp::CodeMail m{row->str(0), "Your verification code",
                        "Your code is " + code + ".\r\n\r\nType it into the chat on our website to confirm this "
                        "address. It is valid for 15 minutes.\r\n\r\nIf you did not ask for it, ignore this mail.",
                        "verify" + nonce.substr(0, 12), visitor};
        auto req = otp::compose(tx, tenant, m, helo_, now);
        if (!req) {
          why = "no email channel with an outgoing relay";
          return std::nullopt;
        }
        tx.exec(kSetHash, {tenant, visitor, nonce, otp::code_hash(nonce, code)});
        return req;
      },
      std::move(done));
}

}  // namespace bottega::pipeline::email_verification
