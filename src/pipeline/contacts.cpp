#include "pipeline/contacts.hpp"

#include "pipeline/optout.hpp"
#include "store/repo/repo.hpp"

namespace bottega::pipeline {

namespace bj = boost::json;
using store::Stmt;
using store::Value;

namespace {

// {"id","merged_into"}: a contact merged into another (next to event_type:: in bottega/events.hpp).
constexpr std::string_view kContactMerged = "contact.merged";

constexpr Stmt kContact{"contacts.get",
                        "SELECT id, tenant_id, name, email, phone, created_at, updated_at, merged_into "
                        "FROM contacts WHERE tenant_id = $1 AND id = $2"};
constexpr Stmt kIdentities{
    "contacts.identities",
    "SELECT i.channel_id, ch.type, i.external_id, i.created_at FROM contact_identities i "
    "JOIN channels ch ON ch.id = i.channel_id AND ch.tenant_id = i.tenant_id "
    "WHERE i.tenant_id = $1 AND i.contact_id = $2 "
    "UNION ALL "
    "SELECT v.channel_id, ch.type, v.id, v.created_at FROM visitors v "
    "JOIN channels ch ON ch.id = v.channel_id AND ch.tenant_id = v.tenant_id "
    "WHERE v.tenant_id = $1 AND v.contact_id = $2 "
    "ORDER BY 4, 1, 3"};
// A channel on which both contacts have an identity (or a web chat visitor).
constexpr Stmt kSharedChannel{
    "contacts.merge_shared_channel",
    "SELECT a.channel_id FROM "
    "(SELECT channel_id FROM contact_identities WHERE tenant_id = $1 AND contact_id = $2 "
    " UNION SELECT channel_id FROM visitors WHERE tenant_id = $1 AND contact_id = $2) a "
    "JOIN "
    "(SELECT channel_id FROM contact_identities WHERE tenant_id = $1 AND contact_id = $3 "
    " UNION SELECT channel_id FROM visitors WHERE tenant_id = $1 AND contact_id = $3) b "
    "ON a.channel_id = b.channel_id ORDER BY a.channel_id LIMIT 1"};
// A web chat visitor of either contact.
constexpr Stmt kHasVisitor{"contacts.merge_has_visitor",
                           "SELECT contact_id FROM visitors WHERE tenant_id = $1 AND contact_id IN ($2, $3) LIMIT 1"};
constexpr Stmt kMovedConversations{
    "contacts.merge_conversations",
    "SELECT id FROM conversations WHERE tenant_id = $1 AND contact_id = $2 ORDER BY seq"};

// Re-keys every contact_id reference; $1 tenant, $2 kept contact, $3 removed contact.
constexpr Stmt kMoveIdentities{"contacts.merge_identities",
                               "UPDATE contact_identities SET contact_id = $2 WHERE tenant_id = $1 AND contact_id = $3"};
constexpr Stmt kMoveConversations{"contacts.merge_move_conversations",
                                  "UPDATE conversations SET contact_id = $2, updated_at = $4 "
                                  "WHERE tenant_id = $1 AND contact_id = $3"};
constexpr Stmt kMoveCarts{"contacts.merge_carts",
                          "UPDATE carts SET contact_id = $2 WHERE tenant_id = $1 AND contact_id = $3"};
constexpr Stmt kMoveOrders{"contacts.merge_orders",
                           "UPDATE orders SET contact_id = $2 WHERE tenant_id = $1 AND contact_id = $3"};
constexpr Stmt kMoveRedemptions{
    "contacts.merge_redemptions",
    "UPDATE discount_redemptions SET contact_id = $2 WHERE tenant_id = $1 AND contact_id = $3"};
constexpr Stmt kMovePayments{"contacts.merge_payments",
                             "UPDATE payments SET contact_id = $2 WHERE tenant_id = $1 AND contact_id = $3"};
constexpr Stmt kMovePayouts{"contacts.merge_payouts",
                            "UPDATE payouts SET contact_id = $2 WHERE tenant_id = $1 AND contact_id = $3"};
constexpr Stmt kMoveCsatSurveys{"contacts.merge_csat_surveys",
                                "UPDATE csat_surveys SET contact_id = $2 WHERE tenant_id = $1 AND contact_id = $3"};
constexpr Stmt kMoveRptConversations{
    "contacts.merge_rpt_conversations",
    "UPDATE rpt_conversations SET contact_id = $2 WHERE tenant_id = $1 AND contact_id = $3"};
constexpr Stmt kMergeRptContact{
    "contacts.merge_rpt_contact",
    "INSERT INTO rpt_contacts (tenant_id, contact_id, last_activity_at) "
    "SELECT tenant_id, CAST($2 AS TEXT), last_activity_at FROM rpt_contacts WHERE tenant_id = $1 AND contact_id = $3 "
    "ON CONFLICT (tenant_id, contact_id) DO UPDATE SET last_activity_at = excluded.last_activity_at "
    "WHERE rpt_contacts.last_activity_at < excluded.last_activity_at"};
constexpr Stmt kDropRptContact{"contacts.merge_rpt_contact_drop",
                               "DELETE FROM rpt_contacts WHERE tenant_id = $1 AND contact_id = $2"};
// Store credit: the ledger account credit:<contact id>. $2 kept account, $3 removed account.
constexpr Stmt kMovePostings{"contacts.merge_ledger_postings",
                             "UPDATE ledger_postings SET account = $2 WHERE tenant_id = $1 AND account = $3"};
constexpr Stmt kMergeBalances{
    "contacts.merge_ledger_balances",
    "INSERT INTO ledger_balances (tenant_id, account, currency, balance, updated_at) "
    "SELECT tenant_id, CAST($2 AS TEXT), currency, balance, CAST($4 AS BIGINT) FROM ledger_balances "
    "WHERE tenant_id = $1 AND account = $3 "
    "ON CONFLICT (tenant_id, account, currency) DO UPDATE SET balance = ledger_balances.balance + excluded.balance, "
    "updated_at = excluded.updated_at"};
constexpr Stmt kDropBalances{"contacts.merge_ledger_balances_drop",
                             "DELETE FROM ledger_balances WHERE tenant_id = $1 AND account = $2"};
constexpr Stmt kUpdateKept{
    "contacts.merge_keep",
    "UPDATE contacts SET name = CASE WHEN name = '' THEN $3 ELSE name END, email = COALESCE(email, $4), "
    "phone = COALESCE(phone, $5), updated_at = $6 WHERE tenant_id = $1 AND id = $2"};
constexpr Stmt kMarkMerged{"contacts.merge_mark",
                           "UPDATE contacts SET merged_into = $3, merged_at = $4, updated_at = $4 "
                           "WHERE tenant_id = $1 AND id = $2 AND merged_into IS NULL"};

constexpr Stmt kPhoneIdentities{
    "contacts.verified_phone_identities",
    "SELECT i.contact_id, ch.type, i.external_id FROM contact_identities i "
    "JOIN channels ch ON ch.id = i.channel_id AND ch.tenant_id = i.tenant_id "
    "WHERE i.tenant_id = $1 AND ch.type IN ('whatsapp', 'twilio') AND i.external_id IN ($2, $3, $4) "
    "ORDER BY i.contact_id"};
constexpr Stmt kMoveVisitors{"contacts.merge_visitors",
                             "UPDATE visitors SET contact_id = $2 WHERE tenant_id = $1 AND contact_id = $3"};
// A provider identity (not a web chat visitor) of both contacts on one channel.
constexpr Stmt kSharedIdentityChannel{
    "contacts.merge_shared_identity_channel",
    "SELECT a.channel_id FROM contact_identities a JOIN contact_identities b "
    "ON b.tenant_id = a.tenant_id AND b.channel_id = a.channel_id "
    "WHERE a.tenant_id = $1 AND a.contact_id = $2 AND b.contact_id = $3 ORDER BY a.channel_id LIMIT 1"};
constexpr Stmt kMoveVerifiedEmails{
    "contacts.merge_verified_emails",
    "UPDATE contact_verified_emails SET contact_id = $2 WHERE tenant_id = $1 AND contact_id = $3 "
    "AND NOT EXISTS (SELECT 1 FROM contact_verified_emails k WHERE k.tenant_id = $1 AND k.contact_id = $2 "
    "AND k.email = contact_verified_emails.email)"};
constexpr Stmt kDropVerifiedEmails{"contacts.merge_verified_emails_drop",
                                   "DELETE FROM contact_verified_emails WHERE tenant_id = $1 AND contact_id = $2"};
constexpr Stmt kRecordVerifiedEmail{
    "contacts.verified_email_record",
    "INSERT INTO contact_verified_emails (tenant_id, email, contact_id, source, verified_at) VALUES ($1, $2, $3, $4, $5) "
    "ON CONFLICT (tenant_id, email, contact_id) DO UPDATE SET verified_at = excluded.verified_at"};
// Contacts with that verified email (never a merged one: merges move the rows).
constexpr Stmt kVerifiedEmailContacts{
    "contacts.verified_email_contacts",
    "SELECT v.contact_id FROM contact_verified_emails v JOIN contacts c ON c.tenant_id = v.tenant_id AND c.id = v.contact_id "
    "WHERE v.tenant_id = $1 AND v.email = $2 AND v.contact_id <> $3 AND c.merged_into IS NULL ORDER BY v.contact_id LIMIT 2"};
constexpr Stmt kHasIdentityOn{
    "contacts.has_identity_on",
    "SELECT 1 FROM contact_identities WHERE tenant_id = $1 AND channel_id = $2 AND contact_id = $3 LIMIT 1"};

Value opt(const std::optional<std::string>& s) { return s ? Value(*s) : Value(nullptr); }

// The contact row, merged or not; nullopt when unknown in this tenant.
std::optional<store::Row> contact_row(Tx& tx, const std::string& tenant, const std::string& id) {
  return tx.query_one(kContact, {tenant, id});
}

ContactView view_of(Tx& tx, const store::Row& r) {
  ContactView c;
  c.id = r.str(0);
  c.tenant_id = r.str(1);
  c.name = r.str(2);
  c.email = r.opt_str(3);
  c.phone = r.opt_str(4);
  c.created_at = r.i64(5);
  c.updated_at = r.i64(6);
  for (const auto& i : tx.query(kIdentities, {c.tenant_id, c.id}))
    c.identities.push_back({i.str(0), i.str(1), i.str(2), i.i64(3)});
  return c;
}

Error merged_error(const std::string& into) {
  return Error{Errc::not_found, "contact_merged", "contact was merged into " + into, {}};
}

}  // namespace

bj::object to_json(const ContactView& c) {
  bj::array ids;
  for (const auto& i : c.identities)
    ids.push_back(bj::object{{"channel_id", i.channel_id},
                             {"channel_type", i.channel_type},
                             {"external_id", i.external_id},
                             {"created_at", i.created_at}});
  return bj::object{{"id", c.id},
                    {"name", c.name},
                    {"email", c.email ? bj::value(*c.email) : bj::value(nullptr)},
                    {"phone", c.phone ? bj::value(*c.phone) : bj::value(nullptr)},
                    {"identities", std::move(ids)},
                    {"created_at", c.created_at},
                    {"updated_at", c.updated_at}};
}

Result<ContactView> get_contact(Tx& tx, const std::string& tenant, const std::string& id) {
  auto r = contact_row(tx, tenant, id);
  if (!r) return Error::not_found("contact");
  if (!r->is_null(7)) return merged_error(r->str(7));
  return view_of(tx, *r);
}

Result<MergeOutcome> merge_contacts(Tx& tx, Env& env, const std::string& tenant, const std::string& keep_id,
                                    const std::string& from_id, bool verified_match) {
  if (keep_id == from_id)
    return Error::invalid("from_contact_id", "a contact cannot be merged into itself");
  auto keep = contact_row(tx, tenant, keep_id);
  if (!keep) return Error::not_found("contact");
  if (!keep->is_null(7)) return merged_error(keep->str(7));
  auto from = contact_row(tx, tenant, from_id);
  if (!from) {
    Error e = Error::not_found("contact");
    e.field = "from_contact_id";
    return e;
  }
  if (!from->is_null(7)) {
    Error e = merged_error(from->str(7));
    e.field = "from_contact_id";
    return e;
  }
  if (auto shared = tx.query_one(verified_match ? kSharedIdentityChannel : kSharedChannel, {tenant, keep_id, from_id}))
    return Error::conflict("identity_conflict",
                           "both contacts have an identity on channel " + shared->str(0) +
                               "; replies there could not tell which one to address");

  // An agent's merge of a visitor is refused: the visitor has proven nothing, and the widget would
  // then show the other contact's web chat conversations to whoever holds the browser.
  if (!verified_match && tx.query_one(kHasVisitor, {tenant, keep_id, from_id}))
    return Error::conflict("visitor_merge_unsupported",
                           "web chat visitors are merged only when they verify their email address");

  int64_t now = env.clock.now_ms();
  std::vector<std::string> moved_convs;
  for (const auto& r : tx.query(kMovedConversations, {tenant, from_id})) moved_convs.push_back(r.str(0));

  MergeOutcome out;
  const std::vector<Value> p{tenant, keep_id, from_id};
  out.identities_moved = tx.exec(kMoveIdentities, p) + tx.exec(kMoveVisitors, p);
  tx.exec(kMoveVerifiedEmails, p);
  tx.exec(kDropVerifiedEmails, {tenant, from_id});
  out.conversations_moved = tx.exec(kMoveConversations, {tenant, keep_id, from_id, now});
  tx.exec(kMoveCarts, p);
  tx.exec(kMoveOrders, p);
  tx.exec(kMoveRedemptions, p);
  tx.exec(kMovePayments, p);
  tx.exec(kMovePayouts, p);
  tx.exec(kMoveCsatSurveys, p);
  tx.exec(kMoveRptConversations, p);
  tx.exec(kMergeRptContact, p);
  tx.exec(kDropRptContact, {tenant, from_id});
  std::string keep_acct = "credit:" + keep_id, from_acct = "credit:" + from_id;
  tx.exec(kMovePostings, {tenant, keep_acct, from_acct});
  tx.exec(kMergeBalances, {tenant, keep_acct, from_acct, now});
  tx.exec(kDropBalances, {tenant, from_acct});
  tx.exec(kUpdateKept, {tenant, keep_id, from->str(2), opt(from->opt_str(3)), opt(from->opt_str(4)), now});
  // Opted out on either contact: the kept one is opted out (a customer who wrote STOP on one
  // channel gets no proactive message on the other after the merge). The removed contact's own
  // state and source are carried over as they were.
  if (auto from_opt = get_opt_out(tx, tenant, from_id); from_opt && from_opt->opted_out && !opted_out(tx, tenant, keep_id))
    set_opt_out(tx, tenant, keep_id, true, from_opt->source, from_opt->keyword, now);
  if (tx.exec(kMarkMerged, {tenant, from_id, keep_id, now}) != 1)
    return Error::conflict("merge_conflict", "the contact changed during the merge; try again");

  auto kept = contact_row(tx, tenant, keep_id);
  out.contact = view_of(tx, *kept);
  out.merged_contact_id = from_id;

  bj::object updated = to_json(out.contact);
  updated["merged_contact_id"] = from_id;
  emit(tx, env, tenant, event_type::kContactUpdated, {}, keep_id, false, updated);
  emit(tx, env, tenant, kContactMerged, {}, from_id, false,
       bj::object{{"id", from_id}, {"merged_into", keep_id}});
  for (const auto& cid : moved_convs)
    if (auto conv = repo::get_conversation(tx, tenant, cid))
      emit(tx, env, tenant, event_type::kConversationUpdated, conv->id, conv->contact_id, false, to_json(*conv));
  return out;
}

std::optional<std::string> verified_phone(std::string_view channel_type, std::string_view external_id) {
  std::string_view digits = external_id;
  if (channel_type == "twilio") {
    if (digits.substr(0, 9) == "whatsapp:") digits.remove_prefix(9);
    if (digits.empty() || digits.front() != '+') return std::nullopt;
    digits.remove_prefix(1);
  } else if (channel_type != "whatsapp") {
    return std::nullopt;
  }
  if (digits.size() < 8 || digits.size() > 15 || digits.front() == '0') return std::nullopt;
  for (char c : digits)
    if (c < '0' || c > '9') return std::nullopt;
  return std::string(digits);
}

std::optional<std::string> contact_by_verified_phone(Tx& tx, const std::string& tenant,
                                                     const std::string& channel_id, const std::string& phone) {
  std::optional<std::string> found;
  for (const auto& r : tx.query(kPhoneIdentities, {tenant, phone, "+" + phone, "whatsapp:+" + phone})) {
    if (verified_phone(r.str(1), r.str(2)) != phone) continue;  // e.g. "+31..." on a WhatsApp channel
    if (found && *found != r.str(0)) return std::nullopt;      // several contacts: ambiguous
    found = r.str(0);
  }
  if (found && tx.query_one(kHasIdentityOn, {tenant, channel_id, *found})) return std::nullopt;
  return found;
}

void join_identity(Tx& tx, Env& env, const std::string& tenant, const std::string& channel_id,
                   const std::string& external_id, const std::string& contact_id, std::string_view matched_on) {
  repo::create_identity(tx, tenant, channel_id, external_id, contact_id, env.clock.now_ms());
  if (auto view = get_contact(tx, tenant, contact_id)) {
    bj::object data = to_json(*view);
    data["identity_added"] = bj::object{{"channel_id", channel_id}, {"external_id", external_id},
                                        {"matched_on", matched_on}};
    emit(tx, env, tenant, event_type::kContactUpdated, {}, contact_id, false, data);
  }
}

std::optional<std::string> normalize_email(std::string_view address) {
  while (!address.empty() && (address.front() == ' ' || address.front() == '\t')) address.remove_prefix(1);
  while (!address.empty() && (address.back() == ' ' || address.back() == '\t')) address.remove_suffix(1);
  auto at = address.find('@');
  if (address.size() > 254 || at == std::string_view::npos || at == 0 || at + 1 == address.size() ||
      address.find('@', at + 1) != std::string_view::npos)
    return std::nullopt;
  std::string out;
  out.reserve(address.size());
  for (char c : address) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '<' || c == '>' || c == ',' || c == ';' || c == '"') return std::nullopt;
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  auto domain = std::string_view(out).substr(at + 1);
  if (domain.front() == '.' || domain.back() == '.') return std::nullopt;
  return out;
}

void record_verified_email(Tx& tx, const std::string& tenant, const std::string& contact_id,
                           const std::string& email, const std::string& source, int64_t now) {
  tx.exec(kRecordVerifiedEmail, {tenant, email, contact_id, source, now});
}

std::optional<std::string> contact_by_verified_email(Tx& tx, const std::string& tenant, const std::string& email,
                                                     const std::string& except_contact,
                                                     const std::string& channel_id) {
  auto rows = tx.query(kVerifiedEmailContacts, {tenant, email, except_contact});
  if (rows.size() != 1) return std::nullopt;  // none, or several: ambiguous
  std::string found = rows[0].str(0);
  if (!channel_id.empty() && tx.query_one(kHasIdentityOn, {tenant, channel_id, found})) return std::nullopt;
  return found;
}

}  // namespace bottega::pipeline
