// GET /api/v1/media/{id}: a customer's media, fetched from the provider by the media.download job
// (pipeline/media.hpp), served to the shop's agents only. Active types (HTML, SVG, XML, script,
// unknown) are never rendered inline: they download as attachments, with nosniff and a CSP that
// lets nothing run even if a browser were to render them.
#include "http/api/common.hpp"
#include "channels/media.hpp"
#include "pipeline/media.hpp"

namespace bottega::http::api {

namespace {

// A filename safe in a quoted Content-Disposition parameter (ASCII, no quotes or controls).
std::string safe_filename(const std::string& name, const std::string& fallback) {
  std::string out;
  for (unsigned char c : name)
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '/' && c != ';') out += static_cast<char>(c);
  return out.empty() ? fallback : out.substr(0, 120);
}

}  // namespace

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
    bool active = channels::media::active_type(m->mime_type);
    auto res = text_response(ctx.req, 200, std::move(m->bytes), active ? "application/octet-stream" : m->mime_type);
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Content-Security-Policy", "default-src 'none'; sandbox");
    res.set("Cache-Control", "private, max-age=86400");
    res.set("Content-Disposition", std::string(active ? "attachment" : "inline") + "; filename=\"" +
                                       safe_filename(m->filename, m->id) + "\"");
    co_return res;
  }, {"A customer's media file (photo, voice note, document) fetched from the provider; the bytes, with the stored type. "
      "HTML, SVG, XML, scripts and unknown types are sent as application/octet-stream attachments",
      Auth::agent, "conversations", "", "", 200});
}

}  // namespace bottega::http::api
