// The "channel.send" job: sends an agent's message to the provider of its conversation's channel
// through the channel's adapter (src/channels/registry.cpp), records the provider's message id,
// and marks the message sent or failed. Transient provider errors are retried by the job runner.
#pragma once

#include <functional>

#include "bottega/clock.hpp"
#include "bottega/http_client.hpp"
#include "bottega/store.hpp"
#include "core/metrics.hpp"
#include "pipeline/jobs.hpp"
#include "pipeline/services.hpp"

namespace bottega::channels {
struct ChannelAdapter;
}

namespace bottega::pipeline {

class ChannelSender {
 public:
  // public_url: this server's base URL, from which a channel's webhook URL is derived.
  ChannelSender(store::Store& store, HttpClient& http, Env env, Metrics& metrics, std::string public_url)
      : store_(store), http_(http), env_(std::move(env)), metrics_(metrics), public_url_(std::move(public_url)) {}
  void run(const repo::Job& job, std::function<void(JobOutcome)> done);
  // At most this many provider sends per second per channel, across every node (a token bucket
  // in the store, see rate_bucket.hpp); 0: no limit. REQUIRES: before the first run().
  void set_sends_per_second(int64_t n) { sends_per_second_ = n; }

 private:
  void send(HttpRequest request, const channels::ChannelAdapter* adapter, std::string type, std::string tenant,
            std::string message_id, std::function<void(JobOutcome)> done,
            std::function<void(const std::string&, bool)> fail_message);

  store::Store& store_;
  HttpClient& http_;
  Env env_;
  Metrics& metrics_;
  std::string public_url_;
  int64_t sends_per_second_ = 0;
};

}  // namespace bottega::pipeline
