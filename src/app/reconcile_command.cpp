// `bottega reconcile`: the ledger against the providers' records (payments/reconcile.hpp), printed
// as JSON; exit code 0 when everything agrees, 1 when there is any difference, 2 on bad usage.
#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <optional>

#include "app/app.hpp"
#include "bottega/store.hpp"
#include "http/client.hpp"
#include "payments/reconcile.hpp"

namespace bottega::app {

int cmd_reconcile(const Config& cfg, const std::string& tenant, const std::string& provider_id) {
  auto fail = [](const Error& e) {
    std::fprintf(stderr, "bottega: %s%s%s\n", e.field.c_str(), e.field.empty() ? "" : ": ", e.message.c_str());
    return 1;
  };
  store::StoreOptions so;
  so.readers = 1;
  auto st = store::open_store(cfg.store.url, so, false);
  if (!st) return fail(st.error());
  boost::asio::io_context io;
  http::ClientOptions co;
  co.allow_private_networks = cfg.outbound.allow_private_networks;
  http::BeastHttpClient client(io, co);
  payments::reconcile::Fetch fetch = [&](HttpRequest r) -> Result<HttpResponse> {
    std::optional<Result<HttpResponse>> out;
    client.send(std::move(r), [&out](Result<HttpResponse> x) { out.emplace(std::move(x)); });
    io.restart();
    io.run();
    if (!out) return Error{Errc::unavailable, "no_answer", "the request did not complete", {}};
    return std::move(*out);
  };
  auto report = payments::reconcile::run(**st, tenant,
                                         provider_id.empty() ? std::nullopt : std::optional<std::string>(provider_id), fetch);
  (*st)->close();
  if (!report) return fail(report.error());
  std::printf("%s\n", boost::json::serialize(payments::reconcile::to_json(*report)).c_str());
  return report->difference_count() == 0 ? 0 : 1;
}

}  // namespace bottega::app
