// Media files. GET /api/v1/media/{id}: a customer's media, fetched from the provider by the
// media.download job (pipeline/media.hpp), or an agent's upload; served to the shop's agents only.
// POST /api/v1/media: an agent uploads a file to send (channels/upload.hpp checks it). GET
// /media/{id}/{filename}?exp=&sig=: a sent file behind a signed, expiring URL, without a session,
// for providers that fetch a link (WhatsApp, Twilio, Viber). Active types (HTML, SVG, XML, script,
// unknown) are never rendered inline: they download as attachments, with nosniff and a CSP that
// lets nothing run even if a browser were to render them.
#include <boost/json/serialize.hpp>

#include "http/api/common.hpp"
#include "channels/media.hpp"
#include "channels/upload.hpp"
#include "core/crypto.hpp"
#include "pipeline/media.hpp"

namespace bottega::http::api {

namespace bj = boost::json;

namespace {

// A filename safe in a quoted Content-Disposition parameter (ASCII, no quotes or controls).
std::string safe_filename(const std::string& name, const std::string& fallback) {
  std::string out;
  for (unsigned char c : name)
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '/' && c != ';') out += static_cast<char>(c);
  return out.empty() ? fallback : out.substr(0, 120);
}

}  // namespace

Response media_file_response(Context& ctx, pipeline::media::StoredMedia&& m) {
  bool active = channels::media::active_type(m.mime_type);
  auto res = text_response(ctx.req, 200, std::move(m.bytes), active ? "application/octet-stream" : m.mime_type);
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Content-Security-Policy", "default-src 'none'; sandbox");
  res.set("Cache-Control", "private, max-age=86400");
  res.set("Content-Disposition", std::string(active ? "attachment" : "inline") + "; filename=\"" +
                                     safe_filename(m.filename, m.id) + "\"");
  return res;
}

void register_media_routes(Router& r, Deps& d) {
  r.add("GET", "/api/v1/media/{id}", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string tenant = who->tenant_id, id = ctx.param("id");
    auto work_ = [tenant, id](store::Tx& tx) -> Result<pipeline::media::StoredMedia> {
      auto m = pipeline::media::get(tx, tenant, id);
      if (!m) return Error::not_found("media");
      return std::move(*m);
    };
    auto m = co_await db_read<pipeline::media::StoredMedia>(d.store, work_);
    if (!m) co_return error(ctx, m.error());
    co_return media_file_response(ctx, std::move(*m));
  }, {"A media file: a customer's (photo, voice note, document) fetched from the provider, or an agent's upload; the bytes, with the stored type. "
      "HTML, SVG, XML, scripts and unknown types are sent as application/octet-stream attachments",
      Auth::agent, "conversations", "", "", 200});

  RouteDoc upload_doc{
      "Upload a file to send in a message (kind attachment): the raw bytes as the body, their type in Content-Type, "
      "the name in ?filename=. Refused: HTML, SVG, XML, scripts and CSS (400 media_type_not_allowed), images and PDF "
      "whose bytes are not of the claimed type (400 media_type_mismatch), an empty file (400 empty_file), a file over "
      "media.upload_max_bytes (default 16 MB; 413 media_too_large). An upload not sent within a day is deleted",
      Auth::agent, "conversations", "",
      R"({"type":"object","properties":{"id":{"type":"string"},"mime_type":{"type":"string"},"filename":{"type":"string"},"size":{"type":"integer"},"sha256":{"type":"string"},"created_at":{"type":"string"}}})",
      201, true};
  upload_doc.max_body_bytes = d.opts.upload_max_bytes;
  upload_doc.too_large_code = "media_too_large";
  // A body over the server's limit is read only after the caller is authenticated on the headers
  // (the handler authenticates again, as every route does, for bodies within the server's limit).
  upload_doc.body_authorize = agent_body_authorizer(d);
  r.add("POST", "/api/v1/media", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto who = co_await authenticate(d, ctx);
    if (!who) co_return error(ctx, who.error());
    std::string content_type(ctx.header("Content-Type"));
    std::string filename = ctx.query_param("filename").value_or("");
    size_t max_bytes = d.opts.upload_max_bytes;
    struct Prepared {
      Result<channels::upload::Checked> checked = Error::internal("unset");
      std::string sha256, b64;
    };
    // Type sniffing, hashing and encoding 16 MB are CPU work: off the I/O thread.
    const std::string* body = &ctx.req.body();
    auto prep_ = [content_type, filename, body, max_bytes]() {
      Prepared p;
      p.checked = channels::upload::check(content_type, filename, *body, max_bytes);
      if (p.checked) {
        p.sha256 = crypto::hex(crypto::sha256(*body));
        p.b64 = crypto::base64(*body);
      }
      return std::make_shared<Prepared>(std::move(p));
    };
    auto prep = co_await on_cpu<std::shared_ptr<Prepared>>(d.cpu, prep_);
    if (!prep->checked) co_return error(ctx, prep->checked.error());
    pipeline::media::StoredMedia m;
    m.id = d.ids.next("med");
    m.tenant_id = who->tenant_id;
    m.mime_type = prep->checked->mime_type;
    m.filename = prep->checked->filename;
    m.size = static_cast<int64_t>(ctx.req.body().size());
    m.sha256 = prep->sha256;
    m.created_at = d.clock.now_ms();
    auto work_ = [m, prep](store::Tx& tx) -> Result<Rendered> {
      pipeline::media::insert_upload(tx, m, prep->b64);
      return Rendered{201, bj::serialize(bj::object{{"id", m.id},
                                                    {"mime_type", m.mime_type},
                                                    {"filename", m.filename},
                                                    {"size", m.size},
                                                    {"sha256", m.sha256},
                                                    {"created_at", rfc3339(m.created_at)}})};
    };
    co_return co_await idempotent_write(d, ctx, who->tenant_id, work_);
  }, upload_doc);

  r.add("GET", "/media/{id}/{filename}", [&d](Context& ctx) -> asio::awaitable<Response> {
    std::string id = ctx.param("id");
    std::string exp = ctx.query_param("exp").value_or(""), sig = ctx.query_param("sig").value_or("");
    // The signature first (one indexed lookup for the shop it is over), the bytes only then.
    auto tenant_ = [id](store::Tx& tx) -> Result<std::string> {
      auto t = pipeline::media::tenant_of_sent(tx, id);
      if (!t) return Error::not_found("media");
      return std::move(*t);
    };
    auto tenant = co_await db_read<std::string>(d.store, tenant_);
    if (!tenant) co_return error(ctx, tenant.error());
    if (auto ok = channels::upload::verify(d.opts.media_url_key, *tenant, id, exp, sig, d.clock.now_ms() / 1000); !ok)
      co_return error(ctx, ok.error());
    auto work_ = [id, t = *tenant](store::Tx& tx) -> Result<pipeline::media::StoredMedia> {
      auto m = pipeline::media::get(tx, t, id);
      if (!m) return Error::not_found("media");
      return std::move(*m);
    };
    auto m = co_await db_read<pipeline::media::StoredMedia>(d.store, work_);
    if (!m) co_return error(ctx, m.error());
    // A provider reads a sent file's type from Content-Type (WhatsApp documents, Twilio MediaUrl):
    // a PDF keeps its type here, still an attachment, nosniff and sandboxed.
    bool pdf = m->mime_type.rfind("application/pdf", 0) == 0;
    auto res = media_file_response(ctx, std::move(*m));
    if (pdf) res.set("Content-Type", "application/pdf");
    co_return res;
  }, {"A file an agent sent, for the provider that fetches it (WhatsApp media link, Twilio MediaUrl, Viber media) and "
      "for links in text: no session; exp (Unix seconds) and sig (HMAC-SHA256 over tenant|id|exp) come from the URL the "
      "server built when it sent the message, valid 7 days. 403 invalid_signature or url_expired; 404 when no file was "
      "sent under that id. Served with the same headers as GET /api/v1/media/{id}",
      Auth::none, "conversations", "", "", 200});
}

}  // namespace bottega::http::api
