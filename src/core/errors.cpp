#include "bottega/errors.hpp"

namespace bottega {

int http_status(Errc e) noexcept {
  switch (e) {
    case Errc::invalid_argument:
      return 400;
    case Errc::unauthenticated:
      return 401;
    case Errc::forbidden:
      return 403;
    case Errc::not_found:
      return 404;
    case Errc::conflict:
      return 409;
    case Errc::unprocessable:
      return 422;
    case Errc::payload_too_large:
      return 413;
    case Errc::rate_limited:
      return 429;
    case Errc::unavailable:
      return 503;
    case Errc::internal:
      return 500;
  }
  return 500;  // an out-of-range enum value is a bug: treat it as internal
}

}  // namespace bottega
