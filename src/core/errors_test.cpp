#include "bottega/errors.hpp"

#include <gtest/gtest.h>

namespace bottega {
namespace {

TEST(HttpStatus, MapsEveryErrc) {
  EXPECT_EQ(http_status(Errc::invalid_argument), 400);
  EXPECT_EQ(http_status(Errc::unauthenticated), 401);
  EXPECT_EQ(http_status(Errc::forbidden), 403);
  EXPECT_EQ(http_status(Errc::not_found), 404);
  EXPECT_EQ(http_status(Errc::conflict), 409);
  EXPECT_EQ(http_status(Errc::unprocessable), 422);
  EXPECT_EQ(http_status(Errc::payload_too_large), 413);
  EXPECT_EQ(http_status(Errc::rate_limited), 429);
  EXPECT_EQ(http_status(Errc::unavailable), 503);
  EXPECT_EQ(http_status(Errc::internal), 500);
}

TEST(HttpStatus, OutOfRangeValueIsInternal) { EXPECT_EQ(http_status(static_cast<Errc>(999)), 500); }

TEST(Error, FactoriesFillCodeAndField) {
  Error e = Error::invalid("items[0].sku", "too long", "too_long");
  EXPECT_EQ(e.errc, Errc::invalid_argument);
  EXPECT_EQ(e.code, "too_long");
  EXPECT_EQ(e.field, "items[0].sku");
  EXPECT_EQ(Error::not_found("payment").message, "payment not found");
  EXPECT_EQ(http_status(Error::unauthenticated().errc), 401);
}

Result<int> half(int x) {
  if (x % 2 != 0) return Error::invalid("x", "odd");
  return x / 2;
}

Result<int> quarter(int x) {
  BOTTEGA_TRY(h, half(x));
  BOTTEGA_TRY(q, half(h));
  return q;
}

TEST(Result, TryPropagatesTheFirstError) {
  ASSERT_TRUE(quarter(8).ok());
  EXPECT_EQ(*quarter(8), 2);
  auto r = quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "x");
}

}  // namespace
}  // namespace bottega
