#include "pipeline/media.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <map>

#include "channels/media.hpp"
#include "channels/registry.hpp"
#include "channels/upload.hpp"
#include "core/crypto.hpp"
#include "core/model.hpp"
#include "pipeline/access_tokens.hpp"
#include "pipeline/listener.hpp"
#include "store/repo/repo.hpp"

namespace bottega::pipeline::media {

namespace bj = boost::json;

namespace {

constexpr store::Stmt kInsertMedia{
    "media_files.insert",
    "INSERT INTO media_files(id, tenant_id, message_id, attachment_index, mime_type, filename, size, sha256, "
    "data_b64, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) "
    "ON CONFLICT (tenant_id, message_id, attachment_index) DO NOTHING"};
constexpr store::Stmt kMediaIdOf{
    "media_files.id_of",
    "SELECT id FROM media_files WHERE tenant_id = $1 AND message_id = $2 AND attachment_index = $3"};
constexpr store::Stmt kGetMedia{
    "media_files.get",
    "SELECT id, tenant_id, message_id, mime_type, filename, size, sha256, data_b64, created_at FROM media_files "
    "WHERE tenant_id = $1 AND id = $2"};
constexpr store::Stmt kUpdateContent{"messages.update_content",
                                     "UPDATE messages SET content = $3 WHERE tenant_id = $1 AND id = $2"};

// The attachments a message still has to fetch: no media_id and no media_error yet.
std::vector<size_t> to_fetch(const bj::object& content) {
  std::vector<size_t> out;
  auto* atts = content.if_contains("attachments");
  if (!atts || !atts->is_array()) return out;
  const auto& a = atts->get_array();
  for (size_t i = 0; i < a.size() && i < 10; ++i)
    if (a[i].is_object() && !a[i].get_object().contains("media_id") && !a[i].get_object().contains("media_error"))
      out.push_back(i);
  return out;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A media type as stored and served: "type/subtype" of safe characters, else octet-stream.
std::string clean_type(std::string_view t) {
  std::string m = lower(std::string(t.substr(0, t.find(';'))));
  while (!m.empty() && m.back() == ' ') m.pop_back();
  size_t slash = m.find('/');
  bool ok = slash != std::string::npos && slash > 0 && slash + 1 < m.size() && m.size() <= 100;
  for (char c : m) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || std::string_view("/.+-_").find(c) != std::string_view::npos);
  return ok ? m : "application/octet-stream";
}

}  // namespace

std::optional<StoredMedia> get(store::Tx& tx, const std::string& tenant, const std::string& id) {
  auto r = tx.query_one(kGetMedia, {tenant, id});
  if (!r) return std::nullopt;
  StoredMedia m;
  m.id = r->str(0);
  m.tenant_id = r->str(1);
  m.message_id = r->opt_str(2).value_or("");
  m.mime_type = r->str(3);
  m.filename = r->opt_str(4).value_or("");
  m.size = r->i64(5);
  m.sha256 = r->str(6);
  auto bytes = crypto::unbase64(r->str(7));
  if (!bytes) return std::nullopt;
  m.bytes = std::move(*bytes);
  m.created_at = r->i64(8);
  return m;
}

namespace {

constexpr store::Stmt kInsertUpload{
    "media_files.insert_upload",
    "INSERT INTO media_files(id, tenant_id, message_id, attachment_index, mime_type, filename, size, sha256, "
    "data_b64, created_at) VALUES ($1,$2,NULL,0,$3,$4,$5,$6,$7,$8)"};
constexpr store::Stmt kUploadMeta{
    "media_files.upload_meta",
    "SELECT message_id, mime_type, filename, size, sha256 FROM media_files WHERE tenant_id = $1 AND id = $2"};
constexpr store::Stmt kUploadBytes{"media_files.bytes",
                                   "SELECT data_b64 FROM media_files WHERE tenant_id = $1 AND id = $2"};
constexpr store::Stmt kBindUpload{
    "media_files.bind",
    "UPDATE media_files SET message_id = $3, attachment_index = $4 WHERE tenant_id = $1 AND id = $2 "
    "AND message_id IS NULL"};
constexpr store::Stmt kPurgeUnbound{"media_files.purge_unbound",
                                    "DELETE FROM media_files WHERE message_id IS NULL AND created_at < $1"};
constexpr store::Stmt kTenantOf{"media_files.tenant_of",
                                "SELECT tenant_id FROM media_files WHERE id = $1 AND message_id IS NOT NULL"};
constexpr store::Stmt kInsertKey{"server_keys.insert",
                                 "INSERT INTO server_keys(name, value, created_at) VALUES ($1,$2,$3) "
                                 "ON CONFLICT (name) DO NOTHING"};
constexpr store::Stmt kGetKey{"server_keys.get", "SELECT value FROM server_keys WHERE name = $1"};

}  // namespace

void insert_upload(store::Tx& tx, const StoredMedia& m, const std::string& data_b64) {
  tx.exec(kInsertUpload, {m.id, m.tenant_id, m.mime_type, m.filename, m.size, m.sha256, data_b64, m.created_at});
}

Result<bj::array> outbound_attachments(store::Tx& tx, const std::string& tenant,
                                       const std::vector<std::string>& media_ids) {
  bj::array out;
  for (size_t i = 0; i < media_ids.size(); ++i) {
    std::string field = "content.attachments[" + std::to_string(i) + "].media_id";
    for (size_t j = 0; j < i; ++j)
      if (media_ids[j] == media_ids[i]) return Error::invalid(field, "this file is already in the message", "duplicate_media");
    auto r = tx.query_one(kUploadMeta, {tenant, media_ids[i]});
    if (!r) return Error::invalid(field, "no such upload (POST /api/v1/media first)", "unknown_media");
    if (r->opt_str(0))
      return Error{Errc::conflict, "media_already_sent",
                   "this file was already sent in a message (or is a customer's); upload it again to send it", field};
    out.push_back(bj::object{{"media_id", media_ids[i]},
                             {"mime_type", r->str(1)},
                             {"filename", r->opt_str(2).value_or("")},
                             {"size", r->i64(3)},
                             {"sha256", r->str(4)}});
  }
  return out;
}

void bind_uploads(store::Tx& tx, const std::string& tenant, const std::vector<std::string>& media_ids,
                  const std::string& message_id) {
  for (size_t i = 0; i < media_ids.size(); ++i)
    tx.exec(kBindUpload, {tenant, media_ids[i], message_id, static_cast<int64_t>(i)});
}

int64_t purge_unbound(store::Tx& tx, int64_t before_ms) { return tx.exec(kPurgeUnbound, {before_ms}); }

std::string server_key(store::Tx& tx, const std::string& name, const std::string& value, int64_t now_ms) {
  tx.exec(kInsertKey, {name, value, now_ms});
  auto r = tx.query_one(kGetKey, {name});
  return r ? r->str(0) : value;
}

std::optional<std::string> tenant_of_sent(store::Tx& tx, const std::string& id) {
  auto t = tx.query_one(kTenantOf, {id});
  if (!t) return std::nullopt;
  return t->str(0);
}

Result<std::vector<OutboundAttachment>> load_outbound(store::Tx& tx, const std::string& tenant, const bj::object& content,
                                                     const PublicUrls& urls, int64_t now_ms,
                                                     const std::function<bool(const OutboundAttachment&)>& wants_bytes) {
  std::vector<OutboundAttachment> out;
  auto* atts = content.if_contains("attachments");
  if (!atts || !atts->is_array()) return out;
  for (const auto& a : atts->as_array()) {
    auto* id = a.is_object() ? a.as_object().if_contains("media_id") : nullptr;
    if (!id || !id->is_string()) return Error::not_found("media");
    std::string media_id(id->as_string());
    auto r = tx.query_one(kUploadMeta, {tenant, media_id});
    if (!r) return Error::not_found("media " + media_id);
    OutboundAttachment f;
    f.mime_type = r->str(1);
    f.filename = r->opt_str(2).value_or(media_id);
    if (f.filename.empty()) f.filename = media_id;
    f.size = r->i64(3);
    f.sha256 = r->str(4);
    if (!urls.key.empty())
      f.public_url = channels::upload::signed_url(urls.base, urls.key, tenant, media_id, f.filename,
                                                  now_ms / 1000 + kPublicUrlTtlS);
    // The bytes (base64 in the row, up to 16 MB) only for a channel that sends them.
    if (!wants_bytes || wants_bytes(f)) {
      auto b = tx.query_one(kUploadBytes, {tenant, media_id});
      auto bytes = b ? crypto::unbase64(b->str(0)) : std::nullopt;
      if (!bytes) return Error::not_found("media " + media_id);
      f.bytes = std::make_shared<const std::string>(std::move(*bytes));
    }
    out.push_back(std::move(f));
  }
  return out;
}

struct MediaService::Download {
  repo::Job job;
  std::function<void(JobOutcome)> done;
  std::string message_id, type, channel_id;
  bj::object settings, content;
  std::string access_token;     // channels whose media API takes one (WeChat)
  bool token_refused = false;   // the provider refused access_token: drop it, retry the job
  std::vector<size_t> indices;
  size_t pos = 0;
  std::string meta_mime, meta_sha256;
  std::map<size_t, StoredMedia> stored;
  std::map<size_t, std::string> failed;  // permanent: recorded on the attachment
  std::string transient;                 // the last error worth a retry
};

MediaService::MediaService(store::Store& store, HttpClient& http, Env env, Metrics& metrics, Options opts)
    : store_(store), http_(http), env_(std::move(env)), metrics_(metrics), opts_(opts) {
  metrics_.describe("bottega_media_downloads_total", "counter", "Customer media fetched from providers, by outcome");
}

void MediaService::on_event(const Event& e) {
  auto m = created_message(e);
  if (!m || m->kind != "media" || m->direction != "in") return;
  pending_.push_back({m->tenant_id, m->message_id});
}

void MediaService::on_batch_end() {
  if (pending_.empty()) return;
  auto batch = std::move(pending_);
  pending_.clear();
  int64_t now = env_.clock.now_ms();
  // The dispatcher advances its cursor after this returns: the jobs must be durable first.
  std::string what = "queueing " + std::to_string(batch.size()) + " download job(s)";
  bool queued = write_retrying(store_, "media", what, [&](store::Tx& tx) -> Status {
    for (const auto& p : batch) {
      repo::Job j;
      j.id = env_.ids.next("job");
      j.tenant_id = p.tenant;
      j.kind = std::string(kDownloadJob);
      j.idempotency_key = p.message_id;
      j.payload_json = bj::serialize(bj::object{{"message_id", p.message_id}});
      j.run_at = now;
      j.deadline_at = now + 24LL * 3600 * 1000;
      repo::enqueue_job(tx, j, now);
    }
    return {};
  });
  if (queued && env_.on_job) env_.on_job();
}

void MediaService::run(const repo::Job& job, std::function<void(JobOutcome)> done) {
  boost::system::error_code ec;
  auto payload = bj::parse(job.payload_json, ec);
  if (ec || !payload.is_object() || !payload.as_object().contains("message_id"))
    return done({false, "bad job payload", std::nullopt, true});
  auto d = std::make_shared<Download>();
  d->job = job;
  d->done = std::move(done);
  std::string message_id(payload.as_object()["message_id"].as_string());
  d->message_id = message_id;
  Status found = Error::not_found("message");
  store::read_sync(store_, [&](store::Tx& tx) {
    auto m = repo::get_message(tx, job.tenant_id, message_id);
    if (!m) return;
    auto conv = repo::get_conversation(tx, job.tenant_id, m->conversation_id);
    if (!conv) return;
    auto ch = repo::get_channel(tx, job.tenant_id, conv->channel_id);
    if (!ch) return;
    boost::system::error_code e1, e2;
    auto s = bj::parse(ch->settings_json, e1);
    auto c = bj::parse(m->content_json, e2);
    if (e1 || e2 || !s.is_object() || !c.is_object()) return void(found = Error::internal("unreadable settings or content"));
    d->type = ch->type;
    d->channel_id = ch->id;
    if (channels::media::needs_access_token(ch->type))
      d->access_token = access_tokens::get(tx, job.tenant_id, ch->id, env_.clock.now_ms()).value_or("");
    d->settings = s.as_object();
    d->content = c.as_object();
    found = {};
  });
  if (!found.ok()) return d->done({false, found.error().message, std::nullopt, true});
  d->indices = to_fetch(d->content);
  if (d->indices.empty()) return d->done({true, "", std::nullopt, false});
  const channels::ChannelAdapter* adapter = channels::find_adapter(d->type);
  if (!channels::media::needs_access_token(d->type) || !d->access_token.empty() || !adapter)
    return finish_attachment(d);  // starts the first
  // No valid cached token: a new one first (stored for every node and the send job).
  access_tokens::fetch(store_, http_, env_.clock, *adapter, d->settings, job.tenant_id, d->channel_id,
                       [this, d](Result<std::string> token, bool network) {
    if (token) {
      d->access_token = *token;
      return finish_attachment(d);
    }
    const Error& e = token.error();
    std::string why = "access token: " + e.code + ": " + e.message;
    metrics_.inc("bottega_media_downloads_total", "outcome=\"retry\"");
    if (network || e.errc == Errc::unavailable || e.errc == Errc::rate_limited || e.errc == Errc::unauthenticated)
      return d->done({false, why, std::nullopt, false});  // the shop can fix its AppSecret meanwhile
    for (size_t idx : d->indices) d->failed[idx] = why;
    d->pos = d->indices.size();
    finish_attachment(d);
  });
}

// Starts the attachment at d->pos, or, when all are done, records the results.
void MediaService::finish_attachment(std::shared_ptr<Download> d) {
  if (d->pos < d->indices.size()) {
    size_t idx = d->indices[d->pos];
    const auto& att = d->content["attachments"].as_array()[idx].as_object();
    d->meta_mime.clear();
    d->meta_sha256.clear();
    auto first = channels::media::first_request(d->type, d->settings, att, d->access_token);
    if (!first) {
      d->failed[idx] = first.error().code + ": " + first.error().message;
      d->pos++;
      return finish_attachment(d);
    }
    first->max_response_bytes = opts_.max_bytes;
    return step(d, std::move(*first), 0);
  }
  // Every attachment tried: record what is settled, in one transaction.
  Env env = env_;
  auto d2 = d;
  store_.write([env, d2](store::Tx& tx) mutable -> Status {
    auto m = repo::get_message(tx, d2->job.tenant_id, d2->message_id);
    if (!m) return Error::not_found("message");
    boost::system::error_code ec;
    auto cv = bj::parse(m->content_json, ec);
    if (ec || !cv.is_object()) return Error::internal("message content unreadable");
    // A token the provider refused is forgotten (unless another node replaced it meanwhile); the
    // job's retry fetches a new one.
    if (d2->token_refused) access_tokens::drop(tx, d2->job.tenant_id, d2->channel_id, d2->access_token);
    auto& atts = cv.as_object()["attachments"].as_array();
    bool changed = false;
    for (auto& [idx, s] : d2->stored) {
      tx.exec(kInsertMedia, {s.id, s.tenant_id, s.message_id, static_cast<int64_t>(idx), s.mime_type,
                             s.filename.empty() ? store::Value{} : store::Value{s.filename}, s.size, s.sha256,
                             crypto::base64(s.bytes), s.created_at});
      // A run that lost a race keeps the first stored copy's id.
      auto row = tx.query_one(kMediaIdOf, {s.tenant_id, s.message_id, static_cast<int64_t>(idx)});
      auto& a = atts[idx].as_object();
      a["media_id"] = row ? row->str(0) : s.id;
      a["size"] = s.size;
      if (!a.contains("mime_type")) a["mime_type"] = s.mime_type;
      a.erase("media_error");
      changed = true;
    }
    for (auto& [idx, why] : d2->failed) {
      atts[idx].as_object()["media_error"] = why;
      changed = true;
    }
    if (!changed) return {};
    m->content_json = bj::serialize(cv);
    tx.exec(kUpdateContent, {m->tenant_id, m->id, m->content_json});
    emit(tx, env, m->tenant_id, event_type::kMessageUpdated, m->conversation_id, {}, false, to_json(*m));
    return {};
  }, [d2](Status st) {
    if (!st.ok()) return d2->done({false, st.error().message, std::nullopt, false});
    if (!d2->transient.empty()) return d2->done({false, d2->transient, std::nullopt, false});
    d2->done({true, "", std::nullopt, false});
  });
}

void MediaService::step(std::shared_ptr<Download> d, HttpRequest req, int n) {
  http_.send(std::move(req), [this, d, n](Result<HttpResponse> r) {
    size_t idx = d->indices[d->pos];
    auto advance = [&] {
      d->pos++;
      finish_attachment(d);
    };
    if (!r) {
      bool permanent = r.error().errc == Errc::forbidden || r.error().code == "response_too_large" ||
                       r.error().errc == Errc::invalid_argument;
      std::string code = r.error().code == "response_too_large" ? "media_too_large" : r.error().code;
      metrics_.inc("bottega_media_downloads_total", "outcome=\"" + std::string(permanent ? "refused" : "retry") + "\"");
      if (permanent) d->failed[idx] = code + ": " + r.error().message;
      else d->transient = code + ": " + r.error().message;
      return advance();
    }
    auto nx = channels::media::next(d->type, d->settings, n, *r);
    if (!nx) {
      if (nx.error().code == "access_token_invalid") d->token_refused = true;
      bool transient = nx.error().errc == Errc::unavailable || nx.error().code == "access_token_invalid";
      metrics_.inc("bottega_media_downloads_total", "outcome=\"" + std::string(transient ? "retry" : "refused") + "\"");
      if (transient) d->transient = nx.error().code + ": " + nx.error().message;
      else d->failed[idx] = nx.error().code + ": " + nx.error().message;
      return advance();
    }
    if (!nx->mime_type.empty() && n == 0) d->meta_mime = nx->mime_type;
    if (!nx->sha256.empty()) d->meta_sha256 = nx->sha256;
    if (nx->request) {
      nx->request->max_response_bytes = opts_.max_bytes;
      return step(d, std::move(*nx->request), n + 1);
    }
    const auto& att = d->content["attachments"].as_array()[idx].as_object();
    std::string digest = crypto::sha256(r->body);
    std::string hex = crypto::hex(digest);
    if (!d->meta_sha256.empty() && lower(d->meta_sha256) != hex && d->meta_sha256 != crypto::base64(digest)) {
      metrics_.inc("bottega_media_downloads_total", "outcome=\"refused\"");
      d->failed[idx] = "media_checksum_mismatch: the file does not match the sha256 the provider gave";
      return advance();
    }
    StoredMedia s;
    s.id = env_.ids.next("med");
    s.tenant_id = d->job.tenant_id;
    s.message_id = d->message_id;
    auto* declared = att.if_contains("mime_type");
    std::string type = !d->meta_mime.empty() ? d->meta_mime
                       : declared && declared->is_string() ? std::string(declared->get_string())
                                                           : nx->mime_type;
    s.mime_type = clean_type(type);
    if (auto* f = att.if_contains("filename"); f && f->is_string()) s.filename = std::string(f->get_string()).substr(0, 255);
    s.size = static_cast<int64_t>(r->body.size());
    s.sha256 = hex;
    s.bytes = std::move(r->body);
    s.created_at = env_.clock.now_ms();
    d->stored[idx] = std::move(s);
    metrics_.inc("bottega_media_downloads_total", "outcome=\"stored\"");
    advance();
  });
}

}  // namespace bottega::pipeline::media
