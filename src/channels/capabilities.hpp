// What each channel type can render, as data (capabilities.cpp). Outbound rendering consults it and
// degrades what a channel lacks to text plus a link.
#pragma once

#include <string_view>

#include "bottega/channel.hpp"

namespace bottega::channels {

// The capabilities of a channel type ("webchat", "whatsapp", "messenger", "instagram", "telegram",
// "twilio", "email"). An unknown type gets a conservative text-only entry (1600 characters, no
// buttons, no media). The reference is to static data: valid forever, thread-safe.
const ChannelCapabilities& capabilities(std::string_view type);
// Whether `type` is one of the channel types above.
bool known_type(std::string_view type);

}  // namespace bottega::channels
