// POST /api/v1/channels/{id}/test: a channel's connection test (channels/connection_probe.hpp). The
// route calls the provider itself, so it takes the outbound HTTP client every provider call uses
// (the same destination checks); app.cpp registers it beside register_routes.
#pragma once

#include "bottega/http_client.hpp"
#include "http/api/common.hpp"

namespace bottega::http::api {

void register_channel_test_route(Router& r, Deps& d, HttpClient& http);

}  // namespace bottega::http::api
