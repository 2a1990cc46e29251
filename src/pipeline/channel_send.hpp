// The "channel.send" job: sends an agent's message to the provider of its conversation's channel
// through the channel's adapter (src/channels/registry.cpp), records the provider's message id,
// and marks the message sent or failed. Transient provider errors are retried by the job runner.
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include <boost/json/object.hpp>

#include "bottega/clock.hpp"
#include "bottega/http_client.hpp"
#include "bottega/store.hpp"
#include "core/metrics.hpp"
#include "pipeline/jobs.hpp"
#include "pipeline/rate_bucket.hpp"
#include "pipeline/services.hpp"

#include "channels/send_part.hpp"

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
  // Sends are paced per channel and per recipient across every node (cells in the store, see
  // rate_bucket.hpp) at the provider's documented rates (channels/rate_limits.hpp). n > 0 replaces
  // the channel-wide rate of every channel that does not set its own settings.send_rate.per_second;
  // 0: the providers' defaults. REQUIRES: before the first run().
  void set_sends_per_second(int64_t n) { sends_per_second_ = n; }
  // The key that signs the public URLs of sent files (media::load_outbound). REQUIRES: before the
  // first run().
  void set_media_url_key(std::string key) { media_url_key_ = std::move(key); }

 private:
  struct SendJob {
    const channels::ChannelAdapter* adapter = nullptr;
    std::string type, tenant, message_id, channel_id;
    // Adapters with an access token (WeChat): the channel's settings to fetch one with, and the
    // token in use ("" until it is read from the store or fetched).
    std::shared_ptr<const boost::json::object> settings;
    std::string access_token;
    bool token_refreshed = false;  // a refused token was replaced once already
    int64_t attempts = 1;
    std::optional<PaceCell> channel_cell, recipient_cell;
    std::function<void(JobOutcome)> done;
    std::function<void(const std::string&, bool)> fail_message;
    // Every provider message of the message (most have one; with files, often several), the index
    // of the one being sent (the ones before it were accepted, by this run or an earlier one), and
    // the first part's provider id once it was accepted.
    std::vector<channels::SendPart> parts;
    size_t next = 0;
    std::string first_id;
  };
  void send_part(std::shared_ptr<SendJob> sj);
  void exchange(HttpRequest request, std::shared_ptr<SendJob> sj, bool preparing);
  void fetch_token(HttpRequest request, std::shared_ptr<SendJob> sj, bool preparing);
  void part_accepted(std::shared_ptr<SendJob> sj, const std::string& id);
  void finish(std::shared_ptr<SendJob> sj, std::optional<std::string> last_id);
  void part_failed(std::shared_ptr<SendJob> sj, const std::string& why, bool permanent);
  void throttled(const HttpResponse& response, std::shared_ptr<SendJob> sj, std::string why);

  store::Store& store_;
  HttpClient& http_;
  Env env_;
  Metrics& metrics_;
  std::string public_url_;
  std::string media_url_key_;
  int64_t sends_per_second_ = 0;
};

}  // namespace bottega::pipeline
