// JSON of the domain model written straight into a string, where building the boost::json
// object first costs too much (the message path).
#pragma once

#include <string>
#include <string_view>

#include "core/model.hpp"

namespace bottega {

// boost::json::serialize(to_json(m)), byte for byte, written straight into a string: the
// message.created payload of every inbound message, built on the single writer thread
// (bench/RESULTS.md, perf4: the object and its serialization were ~15k instructions per web chat
// message).
std::string message_json(const Message& m);
// Appends `s` as a JSON string (quoted, escaped exactly as boost::json::serialize escapes it).
void append_json_string(std::string& out, std::string_view s);

}  // namespace bottega
