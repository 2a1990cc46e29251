// Money: integer amounts in the minor unit of an ISO 4217 currency (cents for EUR, yen for JPY,
// fils for KWD). No floating point anywhere. Rounding rule (docs/commerce.md): every division
// rounds half away from zero to the nearest minor unit; the result of a percentage or tax is
// computed once per line from exact integers (128-bit intermediates, overflow is an error).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bottega/errors.hpp"

namespace bottega::commerce {

// Largest absolute amount accepted anywhere (10^15 minor units): sums of many such amounts stay
// far from int64 overflow.
inline constexpr int64_t kMaxAmount = 1'000'000'000'000'000;
// Rates and percentages are basis points: 1 = 0.01 %, 2200 = 22 %, 10000 = 100 %.
inline constexpr int64_t kBasisPoints = 10'000;

// The ISO 4217 minor-unit exponent of an upper-case currency code (EUR 2, JPY 0, KWD 3, CLF 4),
// or nullopt for a code Bottega does not know.
std::optional<int> currency_exponent(std::string_view code);
bool is_currency(std::string_view code);
// "currency" must be a known ISO 4217 code; error names `field`.
Status check_currency(std::string_view code, const std::string& field);

// Parses a decimal string ("12.5", "-3", "1234.56") into minor units of `currency`. At most
// `exponent` fractional digits (no silent rounding: "1.234" EUR is an error), optional leading
// '-', no exponent notation, no thousands separators, |amount| <= kMaxAmount.
Result<int64_t> parse_amount(std::string_view text, std::string_view currency,
                             const std::string& field = "amount");
// Formats minor units as a plain decimal string with exactly `exponent` fractional digits
// ("12.50", "1000", "1.500"). REQUIRES: currency is known.
std::string format_amount(int64_t minor, std::string_view currency);

// round(a * num / den), half away from zero. REQUIRES: den > 0. Error when the result leaves the
// int64 range.
Result<int64_t> mul_div_round(int64_t a, int64_t num, int64_t den);
// `bp` basis points of `amount`, rounded half away from zero.
Result<int64_t> percent_of(int64_t amount, int64_t bp);

// Parses a percentage written in decimal ("22", "12.5", "0.25") into basis points; at most two
// fractional digits, 0..100 %.
Result<int64_t> parse_percent(std::string_view text, const std::string& field = "percent");

struct TaxSplit {
  int64_t net = 0, tax = 0, gross = 0;  // net + tax == gross, always
};
// Prices exclude tax: tax = round(net * rate / 10000).
Result<TaxSplit> tax_exclusive(int64_t net, int64_t rate_bp);
// Prices include tax: tax = round(gross * rate / (10000 + rate)); net = gross - tax.
Result<TaxSplit> tax_inclusive(int64_t gross, int64_t rate_bp);

// Splits `total` over `weights` in proportion (largest remainder method: floors first, then one
// minor unit each to the largest remainders, ties to the earlier index). The parts sum to total
// exactly. All weights zero: everything on the first part. REQUIRES: total >= 0, weights >= 0,
// weights non-empty.
std::vector<int64_t> allocate(int64_t total, const std::vector<int64_t>& weights);

}  // namespace bottega::commerce
