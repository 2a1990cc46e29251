// The bot API routes (registered from common.cpp).
#include "http/api/common.hpp"

namespace bottega::http::api {

void register_bot_routes(Router& r, Deps& d) {}

}  // namespace bottega::http::api
