// Health, readiness, metrics, the OpenAPI document and the browser assets.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "http/api/common.hpp"
#include "store/repo/repo.hpp"

namespace bottega::http::api {

namespace bj = boost::json;

std::string openapi_document(const Router& r, const std::string& public_url) {
  bj::object paths;
  for (const auto& e : r.entries()) {
    std::string method = e.method == "WS" ? "get" : e.method;
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bj::object op{{"summary", e.doc.summary}, {"tags", bj::array{bj::value(e.doc.tag)}}};
    bj::array params;
    std::string_view p = e.pattern;
    for (size_t i = p.find('{'); i != std::string_view::npos; i = p.find('{', i + 1)) {
      size_t j = p.find('}', i);
      params.push_back(bj::object{{"name", std::string(p.substr(i + 1, j - i - 1))},
                                  {"in", "path"},
                                  {"required", true},
                                  {"schema", bj::object{{"type", "string"}}}});
    }
    if (e.doc.idempotent_create)
      params.push_back(bj::object{{"name", "Idempotency-Key"},
                                  {"in", "header"},
                                  {"required", false},
                                  {"schema", bj::object{{"type", "string", }, {"maxLength", 255}}}});
    if (e.doc.auth == Auth::visitor)
      params.push_back(bj::object{{"name", "X-Visitor-Token"}, {"in", "header"}, {"required", true},
                                  {"schema", bj::object{{"type", "string"}}}});
    if (!params.empty()) op["parameters"] = std::move(params);
    auto schema_of = [](const std::string& text) -> bj::value {
      boost::system::error_code ec;
      auto v = bj::parse(text, ec);
      if (ec) return bj::object{{"type", "object"}};
      return v;
    };
    if (!e.doc.request_schema.empty())
      op["requestBody"] = bj::object{
          {"required", true},
          {"content", bj::object{{"application/json", bj::object{{"schema", schema_of(e.doc.request_schema)}}}}}};
    bj::object responses;
    bj::object ok{{"description", e.method == "WS" ? "Switching Protocols (WebSocket)" : "Success"}};
    if (!e.doc.response_schema.empty())
      ok["content"] = bj::object{{"application/json", bj::object{{"schema", schema_of(e.doc.response_schema)}}}};
    responses[e.method == "WS" ? "101" : std::to_string(e.doc.success_status)] = std::move(ok);
    responses["default"] = bj::object{
        {"description", "Error"},
        {"content", bj::object{{"application/json", bj::object{{"schema", bj::object{{"$ref", "#/components/schemas/Error"}}}}}}}};
    op["responses"] = std::move(responses);
    if (e.doc.auth == Auth::agent) op["security"] = bj::array{bj::object{{"bearer", bj::array{}}}, bj::object{{"session", bj::array{}}}};
    else op["security"] = bj::array{};
    if (e.method == "WS") op["x-websocket"] = true;
    auto& item = paths[e.pattern];
    if (!item.is_object()) item = bj::object{};
    item.as_object()[method] = std::move(op);
  }
  bj::object doc{
      {"openapi", "3.1.0"},
      {"info", bj::object{{"title", "Bottega API"}, {"version", BOTTEGA_VERSION}}},
      {"servers", bj::array{bj::object{{"url", public_url}}}},
      {"paths", std::move(paths)},
      {"components",
       bj::object{{"securitySchemes",
                   bj::object{{"bearer", bj::object{{"type", "http"}, {"scheme", "bearer"}}},
                              {"session", bj::object{{"type", "apiKey"}, {"in", "cookie"}, {"name", "bottega_session"},
                                                     {"description", "agent session; unsafe methods also need X-CSRF-Token"}}}}},
                  {"schemas",
                   bj::object{{"Error",
                               bj::object{{"type", "object"},
                                          {"properties",
                                           bj::object{{"error", bj::object{{"type", "object"},
                                                                           {"required", bj::array{"code", "message"}},
                                                                           {"properties", bj::object{{"code", bj::object{{"type", "string"}}},
                                                                                                     {"message", bj::object{{"type", "string"}}},
                                                                                                     {"field", bj::object{{"type", "string"}}}}}}}}}}}}}}}};
  return bj::serialize(doc);
}

void register_system_routes(Router& r, Deps& d) {
  r.add("GET", "/healthz", [](Context& ctx) -> asio::awaitable<Response> {
    co_return json_response(ctx.req, 200, R"({"status":"ok"})");
  }, {"Liveness: the process answers", Auth::none, "system", "", R"({"type":"object"})"});

  r.add("GET", "/readyz", [&d](Context& ctx) -> asio::awaitable<Response> {
    bool ok = !d.ready || d.ready();
    if (ok) {
      // The store answers a read.
      auto work16_ = [](store::Tx&) -> Result<bool> { return true; };
      auto probe = co_await db_read<bool>(d.store, work16_);
      ok = probe.ok();
    }
    co_return json_response(ctx.req, ok ? 200 : 503, ok ? R"({"status":"ready"})" : R"({"status":"not_ready"})");
  }, {"Readiness: the store answers and the server is not draining", Auth::none, "system", "", R"({"type":"object"})"});

  r.add("GET", "/metrics", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto st = d.store.stats();
    d.metrics.set("bottega_store_write_queue", {}, static_cast<double>(st.write_queue));
    d.metrics.set("bottega_store_batches_total", {}, static_cast<double>(st.batches));
    d.metrics.set("bottega_store_writes_total", {}, static_cast<double>(st.writes));
    d.metrics.set("bottega_store_failed_writes_total", {}, static_cast<double>(st.failed_writes));
    struct Depth {
      int64_t queued = 0, running = 0, dead = 0;
    };
    auto count = [](store::Tx& tx) -> Result<Depth> {
      return Depth{repo::count_jobs(tx, "queued"), repo::count_jobs(tx, "running"), repo::count_jobs(tx, "dead")};
    };
    auto depth = co_await db_read<Depth>(d.store, count);
    if (depth) {
      d.metrics.set("bottega_jobs", "status=\"queued\"", static_cast<double>(depth->queued));
      d.metrics.set("bottega_jobs", "status=\"running\"", static_cast<double>(depth->running));
      d.metrics.set("bottega_jobs", "status=\"dead\"", static_cast<double>(depth->dead));
    }
    co_return text_response(ctx.req, 200, d.metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
  }, {"Prometheus metrics (text format 0.0.4)", Auth::none, "system", "", ""});

  r.add("GET", "/api/v1/openapi.json", [&r, &d](Context& ctx) -> asio::awaitable<Response> {
    co_return json_response(ctx.req, 200, openapi_document(r, d.opts.public_url));
  }, {"This OpenAPI document", Auth::none, "system", "", R"({"type":"object"})"});

  auto page = [&d](const char* file) {
    return [&d, file](Context& ctx) -> asio::awaitable<Response> {
      auto res = file_response(ctx.req, d.opts.web_root, file);
      if (!res)
        co_return error_response(ctx.req, 503, "web_not_built",
                                 "the browser assets are not built: run `make web` (web_root: " + d.opts.web_root + ")");
      res->set("Content-Security-Policy",
               "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; "
               "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
      res->set("X-Frame-Options", "DENY");
      co_return std::move(*res);
    };
  };
  r.add("GET", "/", page("index.html"), {"The agent console", Auth::none, "browser", "", ""});
  r.add("GET", "/chat/{channel_id}", page("chat.html"), {"Hosted chat page of a web chat channel", Auth::none, "browser", "", ""});
  r.add("GET", "/widget.js", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto res = file_response(ctx.req, d.opts.web_root, "widget.js");
    if (!res) co_return error_response(ctx.req, 404, "not_found", "widget not built");
    res->set("Access-Control-Allow-Origin", "*");
    res->set("Cache-Control", "public, max-age=300");
    co_return std::move(*res);
  }, {"The chat widget: <script src=\".../widget.js\" data-channel=\"ch_...\" async>", Auth::none, "browser", "", ""});
  r.add("GET", "/assets/{file}", [&d](Context& ctx) -> asio::awaitable<Response> {
    auto res = file_response(ctx.req, d.opts.web_root, "assets/" + ctx.param("file"));
    if (!res) co_return error_response(ctx.req, 404, "not_found", "no such asset");
    res->set("Cache-Control", "public, max-age=31536000, immutable");
    co_return std::move(*res);
  }, {"Built front-end assets (hashed names)", Auth::none, "browser", "", ""});
}

}  // namespace bottega::http::api
