#include "commerce/money.hpp"

#include <algorithm>
#include <iterator>
#include <numeric>

namespace bottega::commerce {

namespace {

// ISO 4217 active codes with a non-default exponent; every other listed code has 2.
constexpr std::string_view kExponent0[] = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY",
                                                         "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
                                                         "VND", "VUV", "XAF", "XOF", "XPF"};
constexpr std::string_view kExponent3[] = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};
constexpr std::string_view kExponent4[] = {"CLF", "UYW"};
constexpr std::string_view kExponent2[] = {
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN",
    "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF", "CNY", "COP",
    "CRC", "CUP", "CVE", "CZK", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP",
    "GEL", "GHS", "GIP", "GMD", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IRR",
    "JMD", "KES", "KGS", "KHR", "KPW", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "MAD", "MDL",
    "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MYR", "MZN", "NAD", "NGN",
    "NIO", "NOK", "NPR", "NZD", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "QAR", "RON", "RSD", "RUB",
    "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP",
    "SZL", "THB", "TJS", "TMT", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "USD", "UYU", "UZS", "VES",
    "WST", "XCD", "YER", "ZAR", "ZMW", "ZWL", "SLL", "HRK", "BOV"};

template <size_t N>
bool in(const std::string_view (&a)[N], std::string_view c) {
  return std::find(std::begin(a), std::end(a), c) != std::end(a);
}

constexpr int64_t kPow10[] = {1, 10, 100, 1000, 10000};

Result<int64_t> checked(__int128 v) {
  if (v > INT64_MAX || v < INT64_MIN) return Error::invalid("amount", "amount out of range", "amount_out_of_range");
  return static_cast<int64_t>(v);
}

}  // namespace

std::optional<int> currency_exponent(std::string_view code) {
  if (code.size() != 3) return std::nullopt;
  if (in(kExponent2, code)) return 2;
  if (in(kExponent0, code)) return 0;
  if (in(kExponent3, code)) return 3;
  if (in(kExponent4, code)) return 4;
  return std::nullopt;
}

bool is_currency(std::string_view code) { return currency_exponent(code).has_value(); }

Status check_currency(std::string_view code, const std::string& field) {
  if (!is_currency(code))
    return Error::invalid(field, "unknown currency \"" + std::string(code.substr(0, 8)) +
                                     "\" (an upper-case ISO 4217 code such as EUR, JPY, KWD)",
                          "invalid_currency");
  return {};
}

Result<int64_t> parse_amount(std::string_view text, std::string_view currency, const std::string& field) {
  auto exp = currency_exponent(currency);
  if (!exp) return Error::invalid(field, "unknown currency", "invalid_currency");
  std::string_view s = text;
  bool neg = false;
  if (!s.empty() && s.front() == '-') {
    neg = true;
    s.remove_prefix(1);
  }
  auto dot = s.find('.');
  std::string_view whole = s.substr(0, dot), frac = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
  auto digits = [](std::string_view d) {
    return std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (whole.empty() || !digits(whole) || !digits(frac) || (dot != std::string_view::npos && frac.empty()))
    return Error::invalid(field, "not a decimal amount: \"" + std::string(text.substr(0, 32)) + "\"", "invalid_amount");
  if (frac.size() > static_cast<size_t>(*exp))
    return Error::invalid(field, std::string(currency) + " has " + std::to_string(*exp) +
                                     " decimal places; \"" + std::string(text.substr(0, 32)) + "\" has more",
                          "invalid_amount");
  if (whole.size() > 18) return Error::invalid(field, "amount too large", "amount_out_of_range");
  __int128 v = 0;
  for (char c : whole) v = v * 10 + (c - '0');
  int64_t f = 0;
  for (char c : frac) f = f * 10 + (c - '0');
  f *= kPow10[*exp - static_cast<int>(frac.size())];
  v = v * kPow10[*exp] + f;
  if (v > kMaxAmount) return Error::invalid(field, "amount too large", "amount_out_of_range");
  return static_cast<int64_t>(neg ? -v : v);
}

std::string format_amount(int64_t minor, std::string_view currency) {
  int exp = currency_exponent(currency).value_or(2);
  bool neg = minor < 0;
  unsigned __int128 m = neg ? static_cast<unsigned __int128>(-static_cast<__int128>(minor)) : minor;
  unsigned __int128 p = static_cast<unsigned __int128>(kPow10[exp]);
  std::string whole = std::to_string(static_cast<uint64_t>(m / p));
  std::string out = (neg ? "-" : "") + whole;
  if (exp > 0) {
    std::string frac = std::to_string(static_cast<uint64_t>(m % p));
    out += "." + std::string(static_cast<size_t>(exp) - frac.size(), '0') + frac;
  }
  return out;
}

Result<int64_t> mul_div_round(int64_t a, int64_t num, int64_t den) {
  if (den <= 0) return Error::internal("mul_div_round: denominator must be positive");
  __int128 p = static_cast<__int128>(a) * num;
  bool neg = p < 0;
  __int128 m = neg ? -p : p;
  __int128 q = m / den, r = m % den;
  if (2 * r >= den) ++q;  // half away from zero
  return checked(neg ? -q : q);
}

Result<int64_t> percent_of(int64_t amount, int64_t bp) { return mul_div_round(amount, bp, kBasisPoints); }

Result<int64_t> parse_percent(std::string_view text, const std::string& field) {
  // A percentage is an amount with two decimals (basis points), reusing the amount grammar.
  auto v = parse_amount(text, "EUR", field);
  if (!v) return Error::invalid(field, "a percentage such as \"22\" or \"12.5\" (at most two decimals)", "invalid_percent");
  if (*v < 0 || *v > kBasisPoints) return Error::invalid(field, "a percentage must be between 0 and 100", "invalid_percent");
  return *v;
}

Result<TaxSplit> tax_exclusive(int64_t net, int64_t rate_bp) {
  if (rate_bp < 0) return Error::invalid("tax_rate", "tax rate must not be negative");
  BOTTEGA_TRY(tax, mul_div_round(net, rate_bp, kBasisPoints));
  BOTTEGA_TRY(gross, checked(static_cast<__int128>(net) + tax));
  return TaxSplit{net, tax, gross};
}

Result<TaxSplit> tax_inclusive(int64_t gross, int64_t rate_bp) {
  if (rate_bp < 0) return Error::invalid("tax_rate", "tax rate must not be negative");
  BOTTEGA_TRY(tax, mul_div_round(gross, rate_bp, kBasisPoints + rate_bp));
  return TaxSplit{gross - tax, tax, gross};
}

std::vector<int64_t> allocate(int64_t total, const std::vector<int64_t>& weights) {
  std::vector<int64_t> out(weights.size(), 0);
  if (weights.empty()) return out;
  __int128 sum = 0;
  for (int64_t w : weights) sum += w;
  if (sum == 0) {
    out[0] = total;
    return out;
  }
  std::vector<__int128> rem(weights.size());
  int64_t given = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    __int128 p = static_cast<__int128>(total) * weights[i];
    out[i] = static_cast<int64_t>(p / sum);
    rem[i] = p % sum;
    given += out[i];
  }
  std::vector<size_t> order(weights.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return rem[a] > rem[b]; });
  for (size_t k = 0; given < total; ++k, ++given) ++out[order[k % order.size()]];
  return out;
}

}  // namespace bottega::commerce
