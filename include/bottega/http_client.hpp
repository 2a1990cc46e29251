// Outbound HTTP, injected so tests and simulators stand in for providers and merchants.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "bottega/errors.hpp"

namespace bottega {

struct HttpRequest {
  std::string method = "POST";
  std::string url;  // http:// or https://
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{10000};
  size_t max_response_bytes = 0;  // 0: the client's default limit
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Sends req; `done` runs on one of the client's threads with the response (any status) or an
  // error (DNS, connect, TLS, timeout, a blocked destination: code "destination_blocked").
  virtual void send(HttpRequest req, std::function<void(Result<HttpResponse>)> done) = 0;
};

}  // namespace bottega
