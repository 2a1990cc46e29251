// Customers' media (photos of a damaged parcel, voice notes, invoices): a cluster listener turns
// every inbound media message into a "media.download" job, which fetches each attachment through
// the provider's API (channels/media.hpp: host allow-list, redirects re-checked, SSRF-guarded
// client), caps its size, checks WhatsApp's sha256, and stores it in the database under a random
// id (table media_files, base64: the same on SQLite and PostgreSQL, and every node serves it). The
// message's attachment then carries "media_id" (GET /api/v1/media/{id}, agents only) or
// "media_error", and a message.updated event tells the console.
#pragma once

#include <boost/json/array.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bottega/channel.hpp"
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

// ---- agents' uploads (POST /api/v1/media; channels/upload.hpp checks them) ----------------------
// An upload is stored unbound (message_id NULL); the message that sends it binds it in the same
// transaction that stores the message, and then it is served like a customer's file. An upload is
// sent once: to send a file again, upload it again. Unbound uploads older than a day are purged.

// Stores `m` (id, tenant, mime_type, filename, size, sha256, created_at) unbound, its bytes given
// base64-encoded (encoded off the writer thread).
void insert_upload(store::Tx& tx, const StoredMedia& m, const std::string& data_b64);

// The content.attachments of an outbound message sending `media_ids` (1..10, distinct): for each,
// {"media_id","mime_type","filename","size","sha256"}. Every id must be an unbound upload of
// `tenant`. Errors name the field content.attachments[i].media_id: 400 unknown_media (absent or
// another tenant's), 409 media_already_sent, 400 duplicate_media.
Result<boost::json::array> outbound_attachments(store::Tx& tx, const std::string& tenant,
                                                const std::vector<std::string>& media_ids);
// Binds the uploads to `message_id` (attachment_index = position). REQUIRES: outbound_attachments
// accepted them in this transaction.
void bind_uploads(store::Tx& tx, const std::string& tenant, const std::vector<std::string>& media_ids,
                  const std::string& message_id);

// Deletes unbound uploads created before `before_ms` (every tenant's); returns how many.
int64_t purge_unbound(store::Tx& tx, int64_t before_ms);

// A secret shared by every node, created on first use (table server_keys): `value` is inserted
// when `name` has none yet; returns the stored one.
std::string server_key(store::Tx& tx, const std::string& name, const std::string& value, int64_t now_ms);

// Where the files of outbound messages are published: the server's public base URL and the key
// that signs the links (channels/upload.hpp). Links are valid kPublicUrlTtlS.
struct PublicUrls {
  std::string base, key;
};
inline constexpr int64_t kPublicUrlTtlS = 7 * 24 * 3600;

// The files of an outbound message's content (kind attachment) as adapters take them: each
// attachment's metadata and a public URL signed until now + kPublicUrlTtlS (none when urls.key is
// empty: email, which attaches the bytes), and its bytes from media_files when wants_bytes(file)
// says the channel sends them (null: every file's). A file whose bytes are not wanted is not read
// (bytes stays null), so a provider that fetches links costs no decoding of up to 10 x 16 MB.
// Errors: 404 media (a file is gone, or its wanted bytes are unreadable: the message cannot be sent).
Result<std::vector<OutboundAttachment>> load_outbound(store::Tx& tx, const std::string& tenant,
                                                     const boost::json::object& content, const PublicUrls& urls,
                                                     int64_t now_ms,
                                                     const std::function<bool(const OutboundAttachment&)>& wants_bytes = {});

// The shop of the sent file `id`, for a public signed URL: looked up by id alone (the URL names
// no tenant; the signature, over the row's tenant, is what authorizes it), only when bound to a
// message. The route checks the signature with it BEFORE it reads the bytes (get), so a forged
// URL costs one indexed lookup, not the decoding of a 16 MB file.
std::optional<std::string> tenant_of_sent(store::Tx& tx, const std::string& id);

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
