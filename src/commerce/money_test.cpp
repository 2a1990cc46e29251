#include "commerce/money.hpp"

#include <gtest/gtest.h>

namespace bottega::commerce {
namespace {

TEST(Money, ExponentsFollowIso4217) {
  EXPECT_EQ(currency_exponent("JPY"), 0);
  EXPECT_EQ(currency_exponent("KRW"), 0);
  EXPECT_EQ(currency_exponent("EUR"), 2);
  EXPECT_EQ(currency_exponent("USD"), 2);
  EXPECT_EQ(currency_exponent("KWD"), 3);
  EXPECT_EQ(currency_exponent("BHD"), 3);
  EXPECT_EQ(currency_exponent("CLF"), 4);
  EXPECT_EQ(currency_exponent("eur"), std::nullopt);  // codes are upper case
  EXPECT_EQ(currency_exponent("XYZ"), std::nullopt);
  EXPECT_EQ(currency_exponent(""), std::nullopt);
  EXPECT_FALSE(check_currency("EURO", "currency").ok());
  EXPECT_EQ(check_currency("EURO", "currency").error().field, "currency");
}

struct ParseCase {
  const char* text;
  const char* currency;
  int64_t minor;
  const char* formatted;
};

TEST(Money, ParsesAndFormatsEveryExponent) {
  for (const auto& c : {ParseCase{"1234", "JPY", 1234, "1234"}, ParseCase{"0", "JPY", 0, "0"},
                        ParseCase{"12.5", "EUR", 1250, "12.50"}, ParseCase{"12.05", "EUR", 1205, "12.05"},
                        ParseCase{"0.01", "EUR", 1, "0.01"}, ParseCase{"-3", "EUR", -300, "-3.00"},
                        ParseCase{"-0.5", "EUR", -50, "-0.50"}, ParseCase{"1.5", "KWD", 1500, "1.500"},
                        ParseCase{"0.001", "KWD", 1, "0.001"}, ParseCase{"2.0001", "CLF", 20001, "2.0001"},
                        ParseCase{"10000000000000", "EUR", 1'000'000'000'000'000, "10000000000000.00"}}) {
    auto v = parse_amount(c.text, c.currency);
    ASSERT_TRUE(v.ok()) << c.text << " " << c.currency;
    EXPECT_EQ(*v, c.minor) << c.text;
    EXPECT_EQ(format_amount(c.minor, c.currency), c.formatted);
  }
}

TEST(Money, RefusesAmountsThatWouldNeedRounding) {
  for (auto [t, cur] : {std::pair{"1.5", "JPY"}, {"1.234", "EUR"}, {"0.0001", "KWD"}, {"1e3", "EUR"},
                        {"1,50", "EUR"}, {".5", "EUR"}, {"5.", "EUR"}, {"", "EUR"}, {"-", "EUR"}, {"+1", "EUR"},
                        {" 1", "EUR"}, {"12", "ABC"}, {"100000000000000", "EUR"},
                        {"99999999999999999999999", "JPY"}}) {
    auto v = parse_amount(t, cur, "price");
    ASSERT_FALSE(v.ok()) << t << " " << cur;
    EXPECT_EQ(v.error().field, "price");
  }
}

TEST(Money, MulDivRoundsHalfAwayFromZero) {
  EXPECT_EQ(*mul_div_round(5, 1, 2), 3);     // 2.5 -> 3
  EXPECT_EQ(*mul_div_round(-5, 1, 2), -3);   // -2.5 -> -3
  EXPECT_EQ(*mul_div_round(7, 1, 3), 2);     // 2.33 -> 2
  EXPECT_EQ(*mul_div_round(8, 1, 3), 3);     // 2.67 -> 3
  EXPECT_EQ(*mul_div_round(-8, 1, 3), -3);
  EXPECT_EQ(*mul_div_round(INT64_MAX, 3, 3), INT64_MAX);  // 128-bit intermediate
  EXPECT_FALSE(mul_div_round(INT64_MAX, 3, 2).ok());      // result overflows: error, not garbage
  EXPECT_FALSE(mul_div_round(1, 1, 0).ok());
}

TEST(Money, Percentages) {
  EXPECT_EQ(*percent_of(1999, 1000), 200);   // 10 % of 19.99 = 1.999 -> 2.00
  EXPECT_EQ(*percent_of(1995, 1000), 200);   // 1.995 -> 2.00 (half away from zero)
  EXPECT_EQ(*percent_of(1994, 1000), 199);
  EXPECT_EQ(*percent_of(333, 3333), 111);    // 33.33 % of 3.33 = 1.109889 -> 1.11
  EXPECT_EQ(*percent_of(1000, 0), 0);
  EXPECT_EQ(*percent_of(1000, 10000), 1000);
  EXPECT_EQ(*parse_percent("22"), 2200);
  EXPECT_EQ(*parse_percent("12.5"), 1250);
  EXPECT_EQ(*parse_percent("0.25"), 25);
  EXPECT_FALSE(parse_percent("100.01").ok());
  EXPECT_FALSE(parse_percent("-1").ok());
  EXPECT_FALSE(parse_percent("1.234").ok());
}

TEST(Money, TaxExclusiveAddsRoundedTax) {
  auto t = *tax_exclusive(1000, 2200);  // 10.00 + 22 %
  EXPECT_EQ(t.tax, 220);
  EXPECT_EQ(t.gross, 1220);
  t = *tax_exclusive(1999, 1900);       // 19.99 * 19 % = 3.7981 -> 3.80
  EXPECT_EQ(t.tax, 380);
  EXPECT_EQ(t.gross, 2379);
  t = *tax_exclusive(25, 1000);         // 0.25 * 10 % = 0.025 -> 0.03 (half away from zero)
  EXPECT_EQ(t.tax, 3);
  t = *tax_exclusive(1000, 0);
  EXPECT_EQ(t.tax, 0);
  EXPECT_EQ(t.gross, 1000);
  EXPECT_FALSE(tax_exclusive(1000, -1).ok());
}

TEST(Money, TaxInclusiveExtractsTaxAndKeepsGross) {
  auto t = *tax_inclusive(1220, 2200);  // 12.20 incl. 22 % -> 2.20 tax
  EXPECT_EQ(t.tax, 220);
  EXPECT_EQ(t.net, 1000);
  EXPECT_EQ(t.gross, 1220);
  t = *tax_inclusive(1000, 2100);       // 10.00 * 21/121 = 1.7355 -> 1.74
  EXPECT_EQ(t.tax, 174);
  EXPECT_EQ(t.net + t.tax, 1000);
  t = *tax_inclusive(100, 900);         // JPY 100 incl. 9 % = 8.26 -> 8
  EXPECT_EQ(t.tax, 8);
  t = *tax_inclusive(1000, 1000);       // KWD 1.000 incl. 10 % = 0.0909... -> 0.091
  EXPECT_EQ(t.tax, 91);
  // Round trip: net -> exclusive gross -> inclusive extraction gives the same tax for whole cents.
  for (int64_t net = 1; net < 5000; net += 37) {
    auto ex = *tax_exclusive(net, 2200);
    auto inc = *tax_inclusive(ex.gross, 2200);
    EXPECT_LE(std::llabs(inc.tax - ex.tax), 1) << net;
  }
}

TEST(Money, AllocateSumsExactlyWithLargestRemainder) {
  EXPECT_EQ(allocate(100, {1, 1, 1}), (std::vector<int64_t>{34, 33, 33}));
  EXPECT_EQ(allocate(10, {300, 700}), (std::vector<int64_t>{3, 7}));
  EXPECT_EQ(allocate(5, {0, 0}), (std::vector<int64_t>{5, 0}));
  EXPECT_EQ(allocate(0, {5, 5}), (std::vector<int64_t>{0, 0}));
  auto v = allocate(999, {1250, 3333, 17, 1});
  int64_t s = 0;
  for (auto x : v) s += x;
  EXPECT_EQ(s, 999);
  EXPECT_EQ(allocate(1, {1, 2}), (std::vector<int64_t>{0, 1}));
}

}  // namespace
}  // namespace bottega::commerce
