// Contacts as the console sees them (their channel identities) and an agent's merge of two
// contacts into one. One contact per channel identity is created by ingestion; contacts are merged
// only by an agent's action (here) and merging never changes which channel a conversation's
// replies go out on: conversations keep their channel, and a merge that would leave one contact
// with two identities on the same channel (replies could not tell which to address) is refused.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/services.hpp"

namespace bottega::pipeline {

struct ContactIdentity {
  std::string channel_id, channel_type, external_id;
  int64_t created_at = 0;
};
struct ContactView {
  std::string id, tenant_id, name;
  std::optional<std::string> email, phone;
  int64_t created_at = 0, updated_at = 0;
  std::vector<ContactIdentity> identities;  // provider identities and web chat visitors
};
boost::json::object to_json(const ContactView& c);

// The contact with its identities. 404 not_found for another tenant's or an unknown id; 404
// contact_merged (message naming the kept contact) for a contact merged into another.
Result<ContactView> get_contact(Tx& tx, const std::string& tenant, const std::string& id);

struct MergeOutcome {
  ContactView contact;                  // the kept contact, after the merge
  std::string merged_contact_id;        // the removed one (now answers 404 contact_merged)
  int64_t identities_moved = 0, conversations_moved = 0;
};
// Moves everything of `from_id` onto `keep_id` in the caller's transaction: channel identities,
// conversations, carts, orders, discount redemptions, payments, payouts, CSAT surveys, store
// credit (ledger postings and balances of the credit:<contact> account) and the reports' contact
// rows. The kept contact keeps its name (or takes the other's when empty), and takes the other's
// email and phone where it has none. The removed contact is marked merged_into. Emits
// contact.updated (kept), contact.merged (removed) and conversation.updated per moved conversation.
// Errors: 400 from_contact_id (same id), 404 (either contact unknown, of another tenant, or
// already merged), 409 identity_conflict (both have an identity on the same channel), 409
// visitor_merge_unsupported (either is a web chat visitor: the visitor's realtime stream is per
// contact and would then carry the other channels' conversations).
Result<MergeOutcome> merge_contacts(Tx& tx, Env& env, const std::string& tenant, const std::string& keep_id,
                                    const std::string& from_id);

// ---- verified automatic match --------------------------------------------------------------
// The phone number (E.164 digits, no "+") that an identity on a channel of this type stands for,
// when the provider has verified it: a WhatsApp wa_id, a Twilio sender ("+31612345678" or
// "whatsapp:+31612345678"). Anything else (other channel types, not 8-15 digits): nullopt.
std::optional<std::string> verified_phone(std::string_view channel_type, std::string_view external_id);

// The contact a new identity on `channel_id` with that verified phone joins instead of getting a
// contact of its own: the one contact of the tenant that has an identity on a WhatsApp or Twilio
// channel with the same verified phone and none on `channel_id` (so replies stay unambiguous).
// nullopt when no contact or several contacts match.
std::optional<std::string> contact_by_verified_phone(Tx& tx, const std::string& tenant,
                                                     const std::string& channel_id, const std::string& phone);

}  // namespace bottega::pipeline
