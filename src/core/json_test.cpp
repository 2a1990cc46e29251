#include "core/json.hpp"

#include <gtest/gtest.h>

namespace bottega::json {
namespace {

bj::object obj(std::string_view text) {
  auto r = parse_object(text);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r).value() : bj::object();
}

void expect_error(const Error& e, std::string_view code, std::string_view field) {
  EXPECT_EQ(e.errc, Errc::invalid_argument);
  EXPECT_EQ(e.code, code);
  EXPECT_EQ(e.field, field);
}

TEST(Parse, AcceptsAnObject) {
  auto r = parse_object(R"({"a":1,"b":[true,null],"c":{"d":"e"}})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), 3u);
  EXPECT_EQ(dump(bj::value(*r)), R"({"a":1,"b":[true,null],"c":{"d":"e"}})");
}

TEST(Parse, InvalidJsonNamesTheOffset) {
  auto r = parse(R"({"a":1,})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "invalid_json");
  EXPECT_EQ(r.error().errc, Errc::invalid_argument);
  EXPECT_NE(r.error().message.find("byte 7"), std::string::npos) << r.error().message;

  for (std::string_view bad :
       {"", "{", "{\"a\":1} x", "[1,2", "{'a':1}", "nul", "{\"a\":1}{}", "// c\n{}", "\"\xff\""}) {
    auto e = parse(bad);
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_EQ(e.error().code, "invalid_json") << bad;
  }
}

TEST(Parse, TopLevelMustBeAnObjectForParseObject) {
  ASSERT_TRUE(parse("[1]").ok());
  auto r = parse_object("[1]");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "expected_object");
}

TEST(Parse, SizeLimit) {
  ParseLimits limits;
  limits.max_bytes = 10;
  EXPECT_TRUE(parse(R"({"a":"12"})", limits).ok());  // exactly 10 bytes
  auto r = parse(R"({"a":"123"})", limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().errc, Errc::payload_too_large);
  EXPECT_EQ(r.error().code, "payload_too_large");
  EXPECT_EQ(http_status(r.error().errc), 413);
}

TEST(Parse, DepthLimit) {
  ParseLimits limits;
  limits.max_depth = 3;
  EXPECT_TRUE(parse("[[[1]]]", limits).ok());
  auto r = parse("[[[[1]]]]", limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "too_deep");
  EXPECT_EQ(r.error().errc, Errc::invalid_argument);
  auto o = parse_object(R"({"a":{"b":{"c":{}}}})", limits);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().code, "too_deep");
}

TEST(Parse, DefaultDepthStopsDeepNesting) {
  std::string deep(100000, '[');
  auto r = parse(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "too_deep");
}

TEST(RequiredString, MissingWrongTypeTooLong) {
  auto o = obj(R"({"name":"Ada","n":1,"nul":null,"long":"abcdef"})");
  ASSERT_TRUE(required_string(o, "name").ok());
  EXPECT_EQ(*required_string(o, "name"), "Ada");

  expect_error(required_string(o, "absent").error(), "missing_field", "absent");
  expect_error(required_string(o, "nul").error(), "missing_field", "nul");
  expect_error(required_string(o, "n").error(), "invalid_type", "n");
  expect_error(required_string(o, "long", "", 5).error(), "too_long", "long");
  EXPECT_TRUE(required_string(o, "long", "", 6).ok());
}

TEST(RequiredString, PathOverridesKeyInTheFieldName) {
  auto o = obj(R"({"sku":7})");
  expect_error(required_string(o, "sku", "items[2].sku").error(), "invalid_type", "items[2].sku");
  expect_error(required_string(o, "name", "items[2].name").error(), "missing_field",
               "items[2].name");
  EXPECT_NE(required_string(o, "sku", "items[2].sku").error().message.find("items[2].sku"),
            std::string::npos);
}

TEST(OnlyKeys, TheFirstUnknownMemberIsNamedWithItsPath) {
  auto o = obj(R"({"name":"Ada","role":"admin","zzz":1,"aaa":2})");
  EXPECT_TRUE(only_keys(o, {"name", "role", "zzz", "aaa"}).ok());
  EXPECT_TRUE(only_keys(obj("{}"), {}).ok());
  auto top = only_keys(o, {"role", "name"});
  ASSERT_FALSE(top.ok());
  expect_error(top.error(), "unknown_field", "zzz");  // the first in the object's order
  EXPECT_EQ(top.error().message, "unknown field");
  EXPECT_EQ(http_status(top.error().errc), 400);
  expect_error(only_keys(o, {"name", "role", "zzz"}, "items[2]").error(), "unknown_field", "items[2].aaa");
  expect_error(only_keys(o, {}, "template").error(), "unknown_field", "template.name");
  // Names are compared whole and case-sensitively.
  expect_error(only_keys(obj(R"({"Name":1})"), {"name"}).error(), "unknown_field", "Name");
  expect_error(only_keys(obj(R"({"nam":1})"), {"name"}).error(), "unknown_field", "nam");
  // A caller's own message (a request kind's fields), same code, status and field.
  auto own = only_keys(o, {"name", "role"}, {}, "unknown field for kind attachment");
  ASSERT_FALSE(own.ok());
  expect_error(own.error(), "unknown_field", "zzz");
  EXPECT_EQ(own.error().message, "unknown field for kind attachment");
  EXPECT_EQ(http_status(own.error().errc), 400);
}

TEST(OptionalString, AbsentNullPresentWrong) {
  auto o = obj(R"({"s":"x","nul":null,"b":true,"long":"abc"})");
  EXPECT_EQ(*optional_string(o, "s"), std::optional<std::string>("x"));
  EXPECT_EQ(*optional_string(o, "absent"), std::nullopt);
  EXPECT_EQ(*optional_string(o, "nul"), std::nullopt);
  expect_error(optional_string(o, "b", "p.b").error(), "invalid_type", "p.b");
  expect_error(optional_string(o, "long", "", 2).error(), "too_long", "long");
}

TEST(RequiredInt, IntegersVsDoublesVsStrings) {
  auto o = obj(R"({"i":42,"neg":-7,"big":9223372036854775807,"toobig":9223372036854775808,
                  "huge":123456789012345678901234567890,"d_int":5.0,"d_exp":1e3,"d_frac":1.5,
                  "d_imprecise":9007199254740993.0,"s":"42","b":true,"nul":null,"arr":[1]})");
  EXPECT_EQ(*required_int(o, "i"), 42);
  EXPECT_EQ(*required_int(o, "neg"), -7);
  EXPECT_EQ(*required_int(o, "big"), INT64_MAX);
  EXPECT_EQ(*required_int(o, "d_int"), 5);
  EXPECT_EQ(*required_int(o, "d_exp"), 1000);
  for (const char* k : {"toobig", "huge", "d_frac", "d_imprecise", "s", "b", "arr"}) {
    auto r = required_int(o, k);
    ASSERT_FALSE(r.ok()) << k;
    expect_error(r.error(), "invalid_type", k);
  }
  expect_error(required_int(o, "nul").error(), "missing_field", "nul");
  expect_error(required_int(o, "absent", "amount").error(), "missing_field", "amount");
}

TEST(OptionalInt, AbsentNullPresentWrong) {
  auto o = obj(R"({"i":3,"nul":null,"s":"3","d":0.5})");
  EXPECT_EQ(*optional_int(o, "i"), std::optional<int64_t>(3));
  EXPECT_EQ(*optional_int(o, "absent"), std::nullopt);
  EXPECT_EQ(*optional_int(o, "nul"), std::nullopt);
  expect_error(optional_int(o, "s").error(), "invalid_type", "s");
  expect_error(optional_int(o, "d", "x.d").error(), "invalid_type", "x.d");
}

TEST(OptionalBool, OnlyRealBooleans) {
  auto o = obj(R"({"t":true,"f":false,"one":1,"s":"true","nul":null})");
  EXPECT_EQ(*optional_bool(o, "t"), std::optional<bool>(true));
  EXPECT_EQ(*optional_bool(o, "f"), std::optional<bool>(false));
  EXPECT_EQ(*optional_bool(o, "absent"), std::nullopt);
  EXPECT_EQ(*optional_bool(o, "nul"), std::nullopt);
  expect_error(optional_bool(o, "one").error(), "invalid_type", "one");
  expect_error(optional_bool(o, "s", "flags.s").error(), "invalid_type", "flags.s");
}

TEST(OptionalObjectAndArray, PointersOrErrors) {
  auto o = obj(R"({"o":{"k":1},"a":[1,2],"s":"x","nul":null})");
  auto ro = optional_object(o, "o");
  ASSERT_TRUE(ro.ok());
  ASSERT_NE(*ro, nullptr);
  EXPECT_EQ((*ro)->size(), 1u);
  EXPECT_EQ(*optional_object(o, "absent"), nullptr);
  EXPECT_EQ(*optional_object(o, "nul"), nullptr);
  expect_error(optional_object(o, "a").error(), "invalid_type", "a");
  expect_error(optional_object(o, "s", "settings").error(), "invalid_type", "settings");

  auto ra = optional_array(o, "a");
  ASSERT_TRUE(ra.ok());
  ASSERT_NE(*ra, nullptr);
  EXPECT_EQ((*ra)->size(), 2u);
  EXPECT_EQ(*optional_array(o, "absent"), nullptr);
  expect_error(optional_array(o, "o").error(), "invalid_type", "o");
  expect_error(optional_array(o, "s", "items").error(), "invalid_type", "items");
}

TEST(Dump, CompactAndEscaped) {
  bj::value v = {{"a", "x\"y\n"}, {"n", 1}};
  std::string s = dump(v);
  EXPECT_EQ(s.find(' '), std::string::npos);
  auto back = parse(s);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, v);
}

}  // namespace
}  // namespace bottega::json

TEST(Utf8, TheFirstIllFormedSequenceIsFound) {
  using bottega::json::invalid_utf8_at;
  constexpr auto npos = std::string_view::npos;
  EXPECT_EQ(invalid_utf8_at(""), npos);
  EXPECT_EQ(invalid_utf8_at("plain ascii"), npos);
  EXPECT_EQ(invalid_utf8_at("citt\xC3\xA0 \xE2\x82\xAC \xF0\x9F\x91\x9F"), npos);  // à, €, a shoe
  EXPECT_EQ(invalid_utf8_at("ab\xFF"), 2u);
  EXPECT_EQ(invalid_utf8_at("a\x80"), 1u);              // stray continuation byte
  EXPECT_EQ(invalid_utf8_at("\xC0\xAF"), 0u);           // overlong '/'
  EXPECT_EQ(invalid_utf8_at("\xE0\x80\xAF"), 0u);       // overlong, three bytes
  EXPECT_EQ(invalid_utf8_at("x\xED\xA0\x80"), 1u);      // a surrogate
  EXPECT_EQ(invalid_utf8_at("\xF4\x90\x80\x80"), 0u);   // above U+10FFFF
  EXPECT_EQ(invalid_utf8_at("ok\xE2\x82"), 2u);         // truncated
}
