// Invariants every channel parser must keep on any input, shared by the channel fuzz targets:
// a successful parse yields well-formed messages (valid content JSON, an id, never an empty
// description of unsupported content); a failure names a reason. A violation aborts, which the
// fuzzer reports as a crash.
#pragma once

#include <boost/json/parse.hpp>
#include <cstdlib>

#include "bottega/channel.hpp"

namespace bottega::fuzz {

inline void check(bool ok) {
  if (!ok) std::abort();
}

inline void check_batch(const Result<InboundBatch>& r) {
  if (!r.ok()) {
    check(!r.error().code.empty());
    return;
  }
  for (const auto& m : r->messages) {
    check(!m.provider_message_id.empty());
    check(!m.contact_external_id.empty());
    check(m.kind != MessageKind::unsupported || !m.text.empty());
    boost::system::error_code ec;
    auto v = boost::json::parse(m.content_json, ec);
    check(!ec && v.is_object());
  }
  for (const auto& s : r->statuses) check(s.watermark || !s.provider_message_id.empty());
}

}  // namespace bottega::fuzz
