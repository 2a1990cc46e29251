#include "pipeline/one_time_code.hpp"

#include <boost/json/parse.hpp>
#include <cstdio>
#include <memory>

#include "channels/email/email.hpp"
#include "core/crypto.hpp"
#include "pipeline/email.hpp"
#include "store/repo/repo.hpp"

namespace bottega::pipeline::otp {

namespace bj = boost::json;

std::string make_code() {
  uint32_t n = 0;
  do {  // uniform over 0..999999: values past the last whole million are drawn again
    n = 0;
    for (unsigned char c : crypto::random_bytes(4)) n = (n << 8) | c;
  } while (n >= 4'294'000'000u);
  char code[8];
  std::snprintf(code, sizeof code, "%06u", static_cast<unsigned>(n % 1000000));
  return code;
}

std::string code_hash(const std::string& nonce, const std::string& code) {
  return crypto::hex(crypto::hmac_sha256(nonce, code));
}

Verdict check(const Pending& p, const std::string& given, int64_t now_ms) {
  if (now_ms >= p.expires_at) return Verdict::expired;
  if (p.hash.empty()) return Verdict::not_sent;
  if (crypto::equal_ct(p.hash, code_hash(p.nonce, given))) return Verdict::ok;
  return p.attempts + 1 >= kMaxAttempts ? Verdict::exhausted : Verdict::wrong;
}

namespace {

namespace em = channels::email;

// The settings of the tenant's first email channel with an outgoing relay.
std::optional<em::Settings> relay_settings(store::Tx& tx, const std::string& tenant) {
  for (const auto& ch : repo::list_channels(tx, tenant)) {
    if (ch.type != em::kType) continue;
    boost::system::error_code ec;
    auto sv = bj::parse(ch.settings_json, ec);
    if (ec || !sv.is_object()) continue;
    auto st = em::parse_settings(sv.as_object());
    if (st && !st->smtp_host.empty()) return std::move(*st);
  }
  return std::nullopt;
}

}  // namespace

bool can_send(store::Tx& tx, const std::string& tenant) { return relay_settings(tx, tenant).has_value(); }

std::optional<MailRequest> compose(store::Tx& tx, const std::string& tenant, const CodeMail& mail,
                                   const std::string& helo, int64_t now_ms) {
  if (auto st = relay_settings(tx, tenant)) {
    em::Reply r;
    r.to_address = mail.to;
    r.subject = mail.subject;
    r.text = mail.text;
    r.conversation_id = mail.conversation_id;
    r.date_ms = now_ms;
    r.message_id = em::outbound_message_id(*st, mail.ref, mail.conversation_id);
    return email::relay_request(*st, helo, mail.to, em::compose_reply(*st, r));
  }
  return std::nullopt;
}

void run_code_job(store::Store& store, MailClient* mail, Prepare prepare, std::function<void(JobOutcome)> done) {
  if (!mail) return done(JobOutcome{false, "no mail client", std::nullopt, true});
  // Made before the write (a write fn may run twice), so both runs keep the same code.
  std::string code = make_code();
  auto plan = std::make_shared<std::optional<MailRequest>>();
  auto why = std::make_shared<std::string>();
  store.write(
      [prepare = std::move(prepare), code, plan, why](store::Tx& tx) -> Status {
        why->clear();
        *plan = prepare(tx, code, *why);
        return {};
      },
      [mail, plan, why, done](Status st) {
        if (!st.ok()) return done(JobOutcome{false, st.error().message, std::nullopt, false});
        if (!*plan) return done(JobOutcome{true, *why, std::nullopt, false});  // nothing to send
        mail->send(std::move(**plan), [done](Result<std::string> r) {
          if (r) return done(JobOutcome{true, {}, std::nullopt, false});
          bool transient = r.error().errc == Errc::unavailable;  // a retry sends a new code
          done(JobOutcome{false, r.error().code + ": " + r.error().message, std::nullopt, !transient});
        });
      });
}

PayloadFields::PayloadFields(const std::string& payload_json) {
  boost::system::error_code ec;
  v_ = boost::json::parse(payload_json, ec);
  ok_ = !ec && v_.is_object();
}

std::string PayloadFields::operator()(const char* key) const {
  if (!ok_) return {};
  auto* x = v_.as_object().if_contains(key);
  return x && x->is_string() ? std::string(x->as_string()) : std::string();
}

}  // namespace bottega::pipeline::otp
