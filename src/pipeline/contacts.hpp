// Contacts as the console sees them (their channel identities) and an agent's merge of two
// contacts into one. One contact per channel identity is created by ingestion; contacts are merged
// by an agent's action (here) or on a verified match (a phone the provider verified, an email
// address proven by the trusted MTA or a one-time code), and merging never changes which channel a conversation's
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
//
// `verified_match`: the merge a verified email match makes (web chat email verification), not an
// agent's. Then web chat visitors may be merged (their rows move to the kept contact, and a
// visitor's realtime stream and message list show only its own channel's conversations), and
// only provider identities on the same channel conflict (two visitors of one web chat channel are
// the same person on two browsers: both see the channel's conversations).
Result<MergeOutcome> merge_contacts(Tx& tx, Env& env, const std::string& tenant, const std::string& keep_id,
                                    const std::string& from_id, bool verified_match = false);

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

// Adds the identity (`external_id` on `channel_id`) to an existing contact found by a verified
// match, and emits contact.updated with identity_added {channel_id, external_id, matched_on}.
void join_identity(Tx& tx, Env& env, const std::string& tenant, const std::string& channel_id,
                   const std::string& external_id, const std::string& contact_id, std::string_view matched_on);

// ---- verified email ------------------------------------------------------------------------
// An email address as it is matched: surrounding blanks dropped, lower case (addresses are
// matched case-insensitively in practice, RFC 5321 notwithstanding), a "+tag" kept. nullopt when
// it is not one address (no "@", nothing before or after it, blanks or controls inside, over 254).
std::optional<std::string> normalize_email(std::string_view address);

// Notes that `contact` proved `email` (normalized): `source` is "email_channel" (a mail that passed
// the trusted MTA's check) or "webchat_code" (a one-time code). Repeats only refresh the time.
void record_verified_email(Tx& tx, const std::string& tenant, const std::string& contact_id,
                           const std::string& email, const std::string& source, int64_t now);

// The one contact of the tenant other than `except_contact` that has verified `email`, and no
// provider identity on `channel_id` (when not empty). nullopt when none or several match.
std::optional<std::string> contact_by_verified_email(Tx& tx, const std::string& tenant, const std::string& email,
                                                     const std::string& except_contact,
                                                     const std::string& channel_id);

}  // namespace bottega::pipeline
