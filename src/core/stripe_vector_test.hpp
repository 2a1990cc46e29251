// Stripe's published webhook signature vector, shared by the tests of the signature code
// (core/crypto_test.cpp) and of the Stripe adapter (payments/psp/psp_test.cpp): stripe-dotnet's
// event_test_signature.json plus its trailing LF (484 bytes), signed with "webhook_secret" at
// t=kStripeT (see /work/shared/reference/signature-vectors.md). Test-only.
#pragma once

#include <cstdint>
#include <string>

namespace bottega::testdata {

inline const std::string kStripeBody =
    "{\n"
    "  \"id\": \"evt_123\",\n"
    "  \"object\": \"event\",\n"
    "  \"account\": \"acct_123\",\n"
    "  \"api_version\": \"2017-05-25\",\n"
    "  \"created\": 1533204620,\n"
    "  \"data\": {\n"
    "    \"object\": {\n"
    "      \"id\": \"cus_123\",\n"
    "      \"object\": \"customer\",\n"
    "      \"created\": 123456789,\n"
    "      \"email\": \"test@stripe.com\",\n"
    "      \"livemode\": false,\n"
    "      \"metadata\": {}\n"
    "    }\n"
    "  },\n"
    "  \"livemode\": false,\n"
    "  \"pending_webhooks\": 1,\n"
    "  \"request\": {\n"
    "    \"id\": \"req_123\",\n"
    "    \"idempotency_key\": \"idempotency-key-123\"\n"
    "  },\n"
    "  \"type\": \"customer.created\"\n"
    "}\n";
inline constexpr int64_t kStripeT = 1533204620;
inline constexpr char kStripeV1[] = "2220f87ef101a04665f11cdf770523143f875572008577fa0f20882ddb9cc3c7";

}  // namespace bottega::testdata
