// Customers' media (photos of a damaged parcel, voice notes, invoices): a cluster listener turns
// every inbound media message into a "media.download" job, which fetches each attachment through
// the provider's API (channels/media.hpp: host allow-list, redirects re-checked, SSRF-guarded
// client), caps its size, checks WhatsApp's sha256, and stores it in the database under a random
// id (table media_files, base64: the same on SQLite and PostgreSQL, and every node serves it). The
// message's attachment then carries "media_id" (GET /api/v1/media/{id}, agents only) or
// "media_error", and a message.updated event tells the console.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bottega/events.hpp"
#include "bottega/http_client.hpp"
#include "bottega/store.hpp"
#include "core/metrics.hpp"
#include "pipeline/jobs.hpp"
#include "pipeline/services.hpp"

namespace bottega::pipeline::media {

inline constexpr std::string_view kDownloadJob = "media.download";

struct Options {
  size_t max_bytes = 25u << 20;  // a larger file is refused (media_too_large), not truncated
};

struct StoredMedia {
  std::string id, tenant_id, message_id, mime_type, filename, sha256;
  int64_t size = 0, created_at = 0;
  std::string bytes;
};

// The stored file `id` of `tenant`, or nullopt (absent, or another tenant's: the same answer).
std::optional<StoredMedia> get(store::Tx& tx, const std::string& tenant, const std::string& id);

class MediaService final : public EventListener {
 public:
  MediaService(store::Store& store, HttpClient& http, Env env, Metrics& metrics, Options opts);
  void on_event(const Event& e) override;
  void on_batch_end() override;
  // The media.download job.
  void run(const repo::Job& job, std::function<void(JobOutcome)> done);

 private:
  struct Pending {
    std::string tenant, message_id;
  };
  struct Download;
  void step(std::shared_ptr<Download> d, HttpRequest req, int n);
  void finish_attachment(std::shared_ptr<Download> d);

  store::Store& store_;
  HttpClient& http_;
  Env env_;
  Metrics& metrics_;
  Options opts_;
  std::vector<Pending> pending_;  // dispatcher thread only
};

}  // namespace bottega::pipeline::media
