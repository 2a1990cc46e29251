// The payment service provider (PSP) seam: one adapter per provider (src/payments/psp/<name>/), all
// listed in src/payments/psp/registry.cpp. An adapter builds the provider requests (checkout,
// refund, status fetch), parses the provider's answers, and verifies and parses its webhooks on the
// raw bytes. Nothing here does I/O: the payments service sends what the adapter builds through the
// injected HttpClient and stores what the adapter parses.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bottega/channel.hpp"  // WebhookRequest
#include "bottega/errors.hpp"
#include "bottega/http_client.hpp"

namespace bottega {

struct PspLineItem {
  std::string name;
  int64_t unit_amount = 0;  // minor units
  int64_t quantity = 1;
};

// What the customer is about to pay: built from the payment link's frozen amount and items.
struct CheckoutRequest {
  std::string payment_id;       // our id ("pay_..."): the provider's reference / metadata
  std::string attempt_id;       // one per "Pay" press: the idempotency key of the provider call
  int64_t amount = 0;           // minor units
  std::string currency;         // ISO 4217, upper case
  std::string description;
  std::vector<PspLineItem> items;  // may be empty (amount-only links)
  std::string return_url;       // where the provider sends the customer back (result page)
  std::string cancel_url;
  std::string webhook_url;      // /webhooks/psp/{provider_id} under public_url
  int64_t expires_at_ms = 0;
  std::string locale;           // "en", "it", "de", "nl"
};

struct CheckoutSession {
  std::string provider_ref;  // the provider's id for this attempt (cs_..., tr_..., PL...)
  std::string redirect_url;  // where to send the customer
};

struct RefundCall {
  std::string refund_id;     // our id ("rfd_..."): the idempotency key
  std::string provider_ref;  // the provider's payment reference (payment_intent, tr_, pspReference)
  int64_t amount = 0;
  std::string currency;
  std::string reason;
};

struct RefundOutcome {
  std::string provider_ref;  // the provider's refund id
  enum class State { pending, succeeded, failed } state = State::pending;
  std::string error;
};

// A normalized provider event. `kind` drives the payment state machine.
struct PspEvent {
  enum class Kind {
    processing,        // the customer started paying; confirmation is pending
    paid,              // captured: amount and currency are what the provider took
    failed,            // declined / failed attempt (the link may be paid later)
    expired,           // the provider-side session expired
    refund_succeeded,  // refund_id (ours) or refund_ref (theirs) confirmed
    refund_failed,
    ignored,           // an event type we do not act on
  } kind = Kind::ignored;
  std::string event_id;      // the provider's event id: the deduplication key
  std::string payment_id;    // ours, when the provider echoes it (metadata / reference)
  std::string provider_ref;  // the provider's payment reference
  std::string payment_ref;   // the provider's capture reference used for refunds (payment_intent...)
  std::string refund_id;     // ours, when echoed
  std::string refund_ref;    // the provider's refund id
  int64_t amount = 0;
  std::string currency;
  std::string reason;        // decline / failure reason
  std::string raw_type;      // the provider's event type, for logs and metrics
};

}  // namespace bottega
