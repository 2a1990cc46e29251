// Untrusted request bodies: the strict JSON parser and the typed getters used by every handler.
#include <cstdint>
#include <string_view>

#include "core/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  bottega::json::ParseLimits limits;
  limits.max_bytes = 64 << 10;
  limits.max_depth = 16;
  auto o = bottega::json::parse_object(text, limits);
  if (!o) return 0;
  (void)bottega::json::required_string(*o, "text");
  (void)bottega::json::optional_int(*o, "priority");
  (void)bottega::json::optional_bool(*o, "flag");
  (void)bottega::json::optional_array(*o, "choices");
  (void)bottega::json::optional_object(*o, "settings");
  (void)bottega::json::dump(*o);
  return 0;
}
