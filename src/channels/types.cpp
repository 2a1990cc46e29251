// Names of the channel seam's enums, as stored and shown in the API.
#include "bottega/channel.hpp"

namespace bottega {

std::string_view to_string(MessageKind k) {
  switch (k) {
    case MessageKind::text:
      return "text";
    case MessageKind::interactive_reply:
      return "interactive_reply";
    case MessageKind::media:
      return "media";
    case MessageKind::location:
      return "location";
    case MessageKind::contacts:
      return "contacts";
    case MessageKind::reaction:
      return "reaction";
    case MessageKind::order:
      return "order";
    case MessageKind::unsupported:
      return "unsupported";
  }
  return "unsupported";
}

std::string_view to_string(DeliveryState s) {
  switch (s) {
    case DeliveryState::pending:
      return "pending";
    case DeliveryState::sent:
      return "sent";
    case DeliveryState::delivered:
      return "delivered";
    case DeliveryState::read:
      return "read";
    case DeliveryState::failed:
      return "failed";
  }
  return "pending";
}

}  // namespace bottega
