#include "payments/model.hpp"

#include <boost/json/parse.hpp>

#include "core/model.hpp"
#include "payments/psp/registry.hpp"

namespace bottega::payments {

namespace bj = boost::json;

std::string link_url(std::string_view public_url, std::string_view token) {
  std::string base(public_url);
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/pay/" + std::string(token);
}

namespace {
bj::value opt(const std::optional<std::string>& s) { return s ? bj::value(*s) : bj::value(nullptr); }
bj::value opt_time(const std::optional<int64_t>& t) { return t ? bj::value(rfc3339(*t)) : bj::value(nullptr); }
}  // namespace

bj::object to_json(const Provider& p, std::string_view public_url) {
  bj::object settings;
  boost::system::error_code ec;
  auto v = bj::parse(p.settings_json, ec);
  const auto* adapter = psp::find_adapter(p.type);
  if (!ec && v.is_object()) {
    for (const auto& kv : v.as_object()) {
      bool secret = false;
      if (adapter)
        for (auto k : adapter->secret_settings) secret = secret || kv.key() == k;
      if (!secret) settings[kv.key()] = kv.value();
    }
  }
  std::string base(public_url);
  while (!base.empty() && base.back() == '/') base.pop_back();
  return bj::object{{"id", p.id},
                    {"type", p.type},
                    {"name", p.name},
                    {"settings", std::move(settings)},
                    {"webhook_url", base + "/webhooks/psp/" + p.id},
                    {"created_at", rfc3339(p.created_at)}};
}

bj::object to_json(const Payment& p, std::string_view public_url) {
  boost::system::error_code ec;
  auto items = bj::parse(p.items_json, ec);
  if (ec || !items.is_array()) items = bj::array{};
  int64_t refundable = p.captured + p.credit_applied - p.refunded;
  return bj::object{{"id", p.id},
                    {"url", link_url(public_url, p.token)},
                    {"status", p.status},
                    {"verification_code", p.verification_code},
                    {"amount", p.amount},
                    {"currency", p.currency},
                    {"items", std::move(items)},
                    {"description", p.description},
                    {"conversation_id", opt(p.conversation_id)},
                    {"contact_id", opt(p.contact_id)},
                    {"cart_id", opt(p.cart_id)},
                    {"order_id", opt(p.order_id)},
                    {"provider_id", p.provider_id},
                    {"message_id", opt(p.message_id)},
                    {"credit_applied", p.credit_applied},
                    {"due", due_at_provider(p)},
                    {"captured", p.captured},
                    {"refunded", p.refunded},
                    {"refundable", refundable < 0 ? 0 : refundable},
                    {"expires_at", rfc3339(p.expires_at)},
                    {"opened_at", opt_time(p.opened_at)},
                    {"paid_at", opt_time(p.paid_at)},
                    {"created_at", rfc3339(p.created_at)},
                    {"updated_at", rfc3339(p.updated_at)}};
}

bj::object to_json(const Refund& r) {
  return bj::object{{"id", r.id},
                    {"payment_id", r.payment_id},
                    {"amount", r.amount},
                    {"credit_amount", r.credit_amount},
                    {"currency", r.currency},
                    {"reason", r.reason},
                    {"status", r.status},
                    {"requested_by", r.requested_by},
                    {"approved_by", opt(r.approved_by)},
                    {"provider_ref", opt(r.provider_ref)},
                    {"error", opt(r.error)},
                    {"created_at", rfc3339(r.created_at)},
                    {"updated_at", rfc3339(r.updated_at)}};
}

bj::object to_json(const Payout& p) {
  return bj::object{{"id", p.id},
                    {"contact_id", p.contact_id},
                    {"provider_id", p.provider_id},
                    {"amount", p.amount},
                    {"currency", p.currency},
                    {"reason", p.reason},
                    {"status", p.status},
                    {"requested_by", p.requested_by},
                    {"approved_by", opt(p.approved_by)},
                    {"provider_ref", opt(p.provider_ref)},
                    {"created_at", rfc3339(p.created_at)},
                    {"updated_at", rfc3339(p.updated_at)}};
}

int currency_exponent(std::string_view c) {
  for (std::string_view z : {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND",
                             "VUV", "XAF", "XOF", "XPF"})
    if (c == z) return 0;
  for (std::string_view t : {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})
    if (c == t) return 3;
  return 2;
}

std::string format_amount(int64_t minor, std::string_view currency) {
  int e = currency_exponent(currency);
  bool neg = minor < 0;
  uint64_t v = neg ? static_cast<uint64_t>(-(minor + 1)) + 1 : static_cast<uint64_t>(minor);
  std::string digits = std::to_string(v);
  if (e > 0) {
    while (digits.size() <= static_cast<size_t>(e)) digits.insert(digits.begin(), '0');
    digits.insert(digits.end() - e, '.');
  }
  return std::string(currency) + " " + (neg ? "-" : "") + digits;
}

bool valid_currency(std::string_view c) {
  if (c.size() != 3) return false;
  for (char ch : c)
    if (ch < 'A' || ch > 'Z') return false;
  return true;
}

}  // namespace bottega::payments
