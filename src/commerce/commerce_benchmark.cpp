// Commerce benchmarks (make bench -> bench/commerce.sh): product search over a 100,000-product
// catalog on the real store (SQLite FTS5, or PostgreSQL when BENCH_STORE_URL names one), with p50
// and p99 per query, and cart pricing throughput (the pure pricing rule, and price_cart through the
// store with its reads). BENCH_PRODUCTS overrides the catalog size.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <time.h>
#include <unistd.h>

#include "commerce/carts.hpp"
#include "commerce/catalog.hpp"
#include "store/repo/repo.hpp"

namespace bottega::commerce {
namespace {

namespace fs = std::filesystem;

const char* kAdjectives[] = {"classic", "linen", "leather", "suede", "merino", "cotton", "wool", "silk", "denim",
                             "canvas", "vintage", "slim", "oversized", "waterproof", "lightweight", "organic",
                             "striped", "floral", "summer", "winter", "italian", "handmade", "recycled", "soft"};
const char* kNouns[] = {"shirt", "sneaker", "boot", "sock", "scarf", "jacket", "dress", "skirt", "belt", "bag",
                        "wallet", "hat", "glove", "sweater", "cardigan", "trousers", "shorts", "sandal", "loafer",
                        "coat", "blazer", "tshirt", "hoodie", "backpack"};
const char* kItalian[] = {"camicia", "scarpa", "stivale", "calza", "sciarpa", "giacca", "vestito", "gonna",
                          "cintura", "borsa", "portafoglio", "cappello"};
const char* kColours[] = {"red", "blue", "green", "black", "white", "navy", "beige", "brown", "grey", "olive"};

struct Fixture {
  fs::path dir;
  std::unique_ptr<store::Store> store;
  ManualClock clock{1'800'000'000'000};
  RandomIdGenerator ids{clock};
  int64_t products = 0;
  std::string cart_id;

  Fixture() {
    products = std::getenv("BENCH_PRODUCTS") ? std::atoll(std::getenv("BENCH_PRODUCTS")) : 100'000;
    std::string url;
    if (const char* u = std::getenv("BENCH_STORE_URL"); u && *u) {
      url = u;
    } else {
      dir = fs::temp_directory_path() / ("bottega_commerce_bench_" + std::to_string(::getpid()));
      fs::remove_all(dir);
      fs::create_directories(dir);
      url = "sqlite://" + (dir / "bench.db").string();
    }
    auto s = store::open_store(url, {}, true);
    if (!s.ok()) {
      std::fprintf(stderr, "bench: %s\n", s.error().message.c_str());
      std::exit(2);
    }
    store = std::move(s).value();
    auto t0 = std::chrono::steady_clock::now();
    std::mt19937_64 rng(42);
    auto pick = [&](auto& arr) { return arr[rng() % (sizeof(arr) / sizeof(arr[0]))]; };
    (void)store::write_sync(*store, [&](store::Tx& tx) -> Status {
      repo::create_tenant(tx, "ten_bench", "Bench", 1);
      repo::create_contact(tx, "ten_bench", "ct_bench", "Ann", std::nullopt, 1);
      CommerceSettings st;
      st.tax_rates = {{"IT", 2200}};
      st.default_country = "IT";
      st.shipping_options = {ShippingOption{"std", "Standard", {{"EUR", 590}}, {{"EUR", 10000}}}};
      put_settings(tx, "ten_bench", st, 1);
      return {};
    });
    for (int64_t base = 0; base < products; base += 1000) {
      auto w = store::write_sync(*store, [&](store::Tx& tx) -> Status {
        for (int64_t i = base; i < std::min(products, base + 1000); ++i) {
          ProductInput in;
          std::string noun = pick(kNouns), adj = pick(kAdjectives), colour = pick(kColours);
          in.handle = "p-" + std::to_string(i);
          in.vendor = "Vendor " + std::to_string(i % 300);
          in.translations["en"] = {adj + " " + colour + " " + noun, "A " + adj + " " + noun + " in " + colour +
                                                                        ", model " + std::to_string(i)};
          in.translations["it"] = {std::string(pick(kItalian)) + " " + adj, ""};
          in.collections = {noun + "s"};
          int nv = 1 + static_cast<int>(rng() % 3);
          for (int v = 0; v < nv; ++v)
            in.variants.push_back(Variant{"", "", "SKU-" + std::to_string(i) + "-" + std::to_string(v), "size " + std::to_string(v),
                                          {{"EUR", 1000 + static_cast<int64_t>(rng() % 20000)}}, 1000, std::nullopt, 0});
          BOTTEGA_TRY(p, create_product(tx, ids, "ten_bench", in, 1));
          (void)p;
        }
        return {};
      });
      if (!w.ok()) {
        std::fprintf(stderr, "bench: seeding failed: %s\n", w.error().message.c_str());
        std::exit(2);
      }
    }
    auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "bench: %lld products seeded in %.1f s (%s)\n", static_cast<long long>(products), secs,
                 std::string(store->dialect()).c_str());
    (void)store::write_sync(*store, [&](store::Tx& tx) -> Status {
      NewCart nc;
      nc.contact_id = "ct_bench";
      BOTTEGA_TRY(c, create_cart(tx, ids, "ten_bench", nc, 1));
      cart_id = c.id;
      for (int i = 0; i < 5; ++i) {
        BOTTEGA_TRY(x, add_item(tx, "ten_bench", c.id, "SKU-" + std::to_string(i * 7) + "-0", 1 + i % 3, 1));
        (void)x;
      }
      BOTTEGA_TRY(y, set_cart_options(tx, "ten_bench", c.id, std::nullopt, std::string("std"), 1));
      (void)y;
      return {};
    });
  }
  ~Fixture() {
    store->close();
    if (!dir.empty()) fs::remove_all(dir);
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

// Typical agent queries: one word, a prefix, two words, a SKU, an Italian title, a rare model number.
const char* kQueries[] = {"shirt", "linen shirt", "sne", "leather boot", "camicia", "SKU-4242", "navy merino",
                          "wool sweater red", "model 77777", "bag", "italian silk scarf", "vendor 12"};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1));
  return v[i];
}

void BM_ProductSearch(benchmark::State& state) {
  auto& f = fixture();
  std::vector<double> ms, cpu;
  size_t q = 0, results = 0;
  auto thread_cpu_ms = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
  };
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    store::read_sync(*f.store, [&](store::Tx& tx) {
      // CPU time of the store's reader thread for this query: what the search costs, whatever
      // else the machine is doing (wall time includes waiting for a CPU on a loaded machine).
      double c0 = thread_cpu_ms();
      auto page = search_products(tx, "ten_bench", {kQueries[q % std::size(kQueries)], "active", 20, std::nullopt});
      results += page.items.size();
      cpu.push_back(thread_cpu_ms() - c0);
    });
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    ++q;
  }
  state.counters["p50_ms"] = percentile(ms, 0.50);
  state.counters["p99_ms"] = percentile(ms, 0.99);
  // Which queries cost most (stderr: bench/commerce.sh shows it).
  for (size_t k = 0; k < std::size(kQueries); ++k) {
    std::vector<double> mine;
    for (size_t i = k; i < cpu.size(); i += std::size(kQueries)) mine.push_back(cpu[i]);
    std::fprintf(stderr, "bench: query \"%s\": CPU p50 %.3f ms, p99 %.3f ms\n", kQueries[k], percentile(mine, 0.5),
                 percentile(mine, 0.99));
  }
  state.counters["cpu_p50_ms"] = percentile(cpu, 0.50);
  state.counters["cpu_p99_ms"] = percentile(cpu, 0.99);
  state.counters["max_ms"] = percentile(ms, 1.0);
  state.counters["results_per_query"] = static_cast<double>(results) / static_cast<double>(std::max<size_t>(q, 1));
  state.counters["products"] = static_cast<double>(f.products);
}
BENCHMARK(BM_ProductSearch)->Iterations(2400)->Unit(benchmark::kMillisecond);

void BM_CartPricingPure(benchmark::State& state) {
  Cart c;
  c.currency = "EUR";
  for (int i = 0; i < 5; ++i)
    c.items.push_back(CartItem{"v" + std::to_string(i), "p" + std::to_string(i), "SKU" + std::to_string(i), "x",
                               1990 + i * 1000, 1 + i % 3, i, 0});
  c.shipping_option = "std";
  CommerceSettings s;
  s.tax_rates = {{"IT", 2200}};
  s.default_country = "IT";
  s.shipping_options = {ShippingOption{"std", "Standard", {{"EUR", 590}}, {{"EUR", 10000}}}};
  Discount d;
  d.code = "TEN";
  d.value = 1000;
  PricingInput in;
  in.cart = &c;
  in.settings = &s;
  in.discount = d;
  for (auto _ : state) {
    auto t = compute_totals(in);
    benchmark::DoNotOptimize(t);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CartPricingPure);

void BM_CartPricingThroughStore(benchmark::State& state) {
  auto& f = fixture();
  for (auto _ : state) {
    store::read_sync(*f.store, [&](store::Tx& tx) {
      auto t = price_cart(tx, "ten_bench", f.cart_id, 2);
      benchmark::DoNotOptimize(t);
    });
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CartPricingThroughStore)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace bottega::commerce

BENCHMARK_MAIN();
