#include "commerce/import.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "commerce/money.hpp"
#include "core/json.hpp"

namespace bottega::commerce {

namespace bj = boost::json;

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string_view::npos ? std::string() : std::string(s.substr(b, e - b + 1));
}

// A collection handle from a tag or type: lower case, runs of spaces as '-'.
std::string collection_handle(std::string_view s) {
  std::string out;
  for (char c : trim(s)) {
    if (static_cast<unsigned char>(c) <= ' ') {
      if (!out.empty() && out.back() != '-') out += '-';
    } else {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return out.substr(0, 128);
}

// Plain text from Shopify's body_html: tags dropped (block tags become spaces), a few entities.
std::string strip_html(std::string_view html) {
  std::string out;
  bool in_tag = false;
  for (size_t i = 0; i < html.size() && out.size() < 20000; ++i) {
    char c = html[i];
    if (in_tag) {
      if (c == '>') {
        in_tag = false;
        if (!out.empty() && out.back() != ' ') out += ' ';
      }
      continue;
    }
    if (c == '<') {
      in_tag = true;
      continue;
    }
    if (c == '&') {
      static const std::pair<std::string_view, char> kEntities[] = {
          {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}, {"&nbsp;", ' '}};
      bool done = false;
      for (const auto& [e, ch] : kEntities)
        if (html.substr(i, e.size()) == e) {
          out += ch;
          i += e.size() - 1;
          done = true;
          break;
        }
      if (done) continue;
    }
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  return trim(out);
}

bool is_language(const std::string& l) {
  return (l.size() == 2 || l.size() == 3) && std::all_of(l.begin(), l.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

}  // namespace

Result<std::vector<std::vector<std::string>>> parse_csv(std::string_view text, size_t max_rows) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, was_quoted = false;
  size_t line = 1;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // a spreadsheet's BOM
  auto end_row = [&]() -> Status {
    row.push_back(std::move(field));
    field.clear();
    was_quoted = false;
    bool blank = row.size() == 1 && row[0].empty();
    if (!blank) {
      if (rows.size() >= max_rows) return Error::invalid("csv", "too many rows (at most " + std::to_string(max_rows) + ")", "payload_too_large");
      rows.push_back(std::move(row));
    }
    row.clear();
    return {};
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"') {
      if (!field.empty() || was_quoted)
        return Error::invalid("csv", "line " + std::to_string(line) + ": a quote inside an unquoted field", "invalid_csv");
      quoted = was_quoted = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      was_quoted = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      BOTTEGA_TRY_STATUS(end_row());
      ++line;
    } else {
      if (was_quoted)
        return Error::invalid("csv", "line " + std::to_string(line) + ": text after a closing quote", "invalid_csv");
      field += c;
    }
    if (field.size() > 65536) return Error::invalid("csv", "line " + std::to_string(line) + ": a field over 64 KiB", "invalid_csv");
  }
  if (quoted) return Error::invalid("csv", "line " + std::to_string(line) + ": a quoted field is not closed", "invalid_csv");
  if (!field.empty() || !row.empty() || was_quoted) BOTTEGA_TRY_STATUS(end_row());
  return rows;
}

Result<std::vector<ProductInput>> parse_catalog_csv(std::string_view csv, const std::string& default_currency) {
  BOTTEGA_TRY(rows, parse_csv(csv, kMaxImportProducts * 10 + 1));
  if (rows.empty()) return Error::invalid("csv", "the file is empty: a header row naming the columns comes first", "invalid_csv");
  // Columns.
  std::map<std::string, size_t> col;
  const auto& header = rows[0];
  for (size_t i = 0; i < header.size(); ++i) {
    std::string name = lower(trim(header[i]));
    if (name.rfind("price_", 0) == 0) name = "price_" + std::string(name.substr(6));
    bool known = name == "sku" || name == "handle" || name == "title" || name == "description" || name == "variant_title" ||
                 name == "price" || name == "currency" || name == "stock" || name == "image_url" || name == "status" ||
                 name == "vendor" || name == "collections";
    if (name.rfind("title_", 0) == 0 && is_language(name.substr(6))) known = true;
    if (name.rfind("description_", 0) == 0 && is_language(name.substr(12))) known = true;
    if (name.rfind("price_", 0) == 0) {
      std::string cur = name.substr(6);
      for (char& c : cur) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (!is_currency(cur)) return Error::invalid("columns." + trim(header[i]), "unknown currency in column " + trim(header[i]), "invalid_currency");
      known = true;
    }
    if (!known) return Error::invalid("columns." + trim(header[i]).substr(0, 64), "unknown column (see docs/commerce.md for the columns)", "unknown_field");
    if (col.count(name)) return Error::invalid("columns." + name, "the column appears twice");
    col[name] = i;
  }
  if (!col.count("sku")) return Error::invalid("columns.sku", "the sku column is required", "missing_field");
  if (col.count("price") && !col.count("currency") && default_currency.empty())
    return Error::invalid("columns.currency", "a price column needs a currency column", "missing_field");
  std::vector<ProductInput> out;
  std::map<std::string, size_t> by_handle;
  for (size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    std::string path = "rows[" + std::to_string(r) + "]";
    if (row.size() > header.size()) return Error::invalid(path, "more fields than columns", "invalid_csv");
    auto cell = [&](const std::string& name) -> std::string {
      auto it = col.find(name);
      if (it == col.end() || it->second >= row.size()) return {};
      return trim(row[it->second]);
    };
    std::string sku = cell("sku");
    if (sku.empty()) return Error::invalid(path + ".sku", "every row needs a SKU", "missing_field");
    std::string handle = cell("handle");
    if (handle.empty()) handle = lower(sku);
    size_t idx;
    if (auto it = by_handle.find(handle); it != by_handle.end()) {
      idx = it->second;
    } else {
      if (out.size() >= kMaxImportProducts) return Error::invalid("csv", "at most 10000 products per import", "payload_too_large");
      idx = out.size();
      by_handle[handle] = idx;
      out.emplace_back();
      out.back().handle = handle;
    }
    ProductInput& p = out[idx];
    for (const auto& [name, i] : col) {
      std::string v = cell(name);
      if (v.empty()) continue;
      std::string lang;
      bool title = false;
      if (name == "title" || name.rfind("title_", 0) == 0) {
        lang = name == "title" ? "en" : name.substr(6);
        title = true;
      } else if (name == "description" || name.rfind("description_", 0) == 0) {
        lang = name == "description" ? "en" : name.substr(12);
      }
      if (lang.empty()) continue;
      auto& t = p.translations[lang];
      std::string& target = title ? t.title : t.description;
      if (target.empty()) target = v;
    }
    if (auto v = cell("vendor"); !v.empty() && p.vendor.empty()) p.vendor = v;
    if (auto v = cell("status"); !v.empty()) {
      if (v != "active" && v != "archived") return Error::invalid(path + ".status", "status is active or archived");
      p.status = v;
    }
    if (auto v = cell("image_url"); !v.empty()) {
      if (v.rfind("https://", 0) != 0 && v.rfind("http://", 0) != 0)
        return Error::invalid(path + ".image_url", "an absolute http(s) URL");
      if (std::none_of(p.images.begin(), p.images.end(), [&](const Image& im) { return im.url == v; }) && p.images.size() < 50)
        p.images.push_back({v, ""});
    }
    if (auto v = cell("collections"); !v.empty()) {
      size_t start = 0;
      while (start <= v.size()) {
        size_t bar = v.find('|', start);
        std::string c = collection_handle(v.substr(start, bar == std::string::npos ? std::string::npos : bar - start));
        if (!c.empty() && std::find(p.collections.begin(), p.collections.end(), c) == p.collections.end() &&
            p.collections.size() < 50)
          p.collections.push_back(c);
        if (bar == std::string::npos) break;
        start = bar + 1;
      }
    }
    Variant var;
    var.sku = sku;
    var.title = cell("variant_title");
    for (const auto& [name, i] : col) {
      if (name.rfind("price_", 0) != 0) continue;
      std::string v = cell(name);
      if (v.empty()) continue;
      std::string cur = name.substr(6);
      for (char& c : cur) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      BOTTEGA_TRY(amount, parse_amount(v, cur, path + "." + trim(header[i])));
      var.prices[cur] = amount;
    }
    if (auto v = cell("price"); !v.empty()) {
      std::string cur = cell("currency");
      if (cur.empty()) cur = default_currency;
      BOTTEGA_TRY_STATUS(check_currency(cur, path + ".currency"));
      BOTTEGA_TRY(amount, parse_amount(v, cur, path + ".price"));
      var.prices[cur] = amount;
    }
    if (auto v = cell("stock"); !v.empty()) {
      if (v.size() > 10 || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return Error::invalid(path + ".stock", "stock is a whole number of units (empty: not tracked)");
      var.stock = std::stoll(v);
    }
    if (p.variants.size() >= 100) return Error::invalid(path + ".sku", "a product has at most 100 variants");
    p.variants.push_back(std::move(var));
  }
  if (out.empty()) return Error::invalid("csv", "no product rows after the header", "invalid_csv");
  // Validate each product, naming the first row of the offending product.
  for (auto& p : out) {
    auto st = validate(p);
    if (!st.ok()) {
      Error e = st.error();
      e.message = "product " + p.handle.value_or("") + ": " + e.message;
      e.field = "products." + p.handle.value_or("") + "." + e.field;
      return e;
    }
  }
  return out;
}

Result<std::vector<ProductInput>> parse_shopify_products(std::string_view text, const std::string& currency,
                                                         const std::string& language) {
  BOTTEGA_TRY_STATUS(check_currency(currency, "currency"));
  if (!is_language(language)) return Error::invalid("language", "a language code such as en or it");
  json::ParseLimits limits;
  limits.max_bytes = 64u << 20;
  BOTTEGA_TRY(doc, json::parse_object(text, limits));
  BOTTEGA_TRY(products, json::optional_array(doc, "products"));
  if (!products) return Error::invalid("products", "a Shopify export is {\"products\":[...]}", "missing_field");
  if (products->size() > kMaxImportProducts) return Error::invalid("products", "at most 10000 products per import", "payload_too_large");
  std::vector<ProductInput> out;
  for (size_t i = 0; i < products->size(); ++i) {
    std::string path = "products[" + std::to_string(i) + "]";
    if (!(*products)[i].is_object()) return Error::invalid(path, "a product is an object", "invalid_type");
    const auto& o = (*products)[i].as_object();
    ProductInput p;
    BOTTEGA_TRY(handle, json::optional_string(o, "handle", path + ".handle", 200));
    if (handle && !handle->empty()) p.handle = *handle;
    BOTTEGA_TRY(title, json::optional_string(o, "title", path + ".title", 500));
    BOTTEGA_TRY(body, json::optional_string(o, "body_html", path + ".body_html", 200000));
    p.translations[language] = {title.value_or(""), body ? strip_html(*body) : ""};
    BOTTEGA_TRY(vendor, json::optional_string(o, "vendor", path + ".vendor", 200));
    p.vendor = vendor.value_or("");
    BOTTEGA_TRY(status, json::optional_string(o, "status", path + ".status", 32));
    if (status && *status != "active") p.status = "archived";
    BOTTEGA_TRY(tags, json::optional_string(o, "tags", path + ".tags", 10000));
    BOTTEGA_TRY(type, json::optional_string(o, "product_type", path + ".product_type", 200));
    auto add_collection = [&](std::string_view s) {
      std::string c = collection_handle(s);
      if (!c.empty() && std::find(p.collections.begin(), p.collections.end(), c) == p.collections.end() &&
          p.collections.size() < 50)
        p.collections.push_back(c);
    };
    if (type) add_collection(*type);
    if (tags) {
      size_t start = 0;
      while (start <= tags->size()) {
        size_t comma = tags->find(',', start);
        add_collection(std::string_view(*tags).substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
    BOTTEGA_TRY(images, json::optional_array(o, "images"));
    if (images)
      for (size_t k = 0; k < images->size() && p.images.size() < 50; ++k) {
        std::string ip = path + ".images[" + std::to_string(k) + "]";
        if (!(*images)[k].is_object()) return Error::invalid(ip, "an image is an object", "invalid_type");
        BOTTEGA_TRY(src, json::required_string((*images)[k].as_object(), "src", ip + ".src", 2048));
        BOTTEGA_TRY(alt, json::optional_string((*images)[k].as_object(), "alt", ip + ".alt", 500));
        if (src.rfind("https://", 0) != 0 && src.rfind("http://", 0) != 0)
          return Error::invalid(ip + ".src", "an absolute http(s) URL");
        p.images.push_back({src, alt.value_or("")});
      }
    BOTTEGA_TRY(variants, json::optional_array(o, "variants"));
    if (!variants || variants->empty()) return Error::invalid(path + ".variants", "a product needs variants with SKUs", "missing_field");
    if (variants->size() > 100) return Error::invalid(path + ".variants", "at most 100 variants");
    for (size_t k = 0; k < variants->size(); ++k) {
      std::string vp = path + ".variants[" + std::to_string(k) + "]";
      if (!(*variants)[k].is_object()) return Error::invalid(vp, "a variant is an object", "invalid_type");
      const auto& v = (*variants)[k].as_object();
      Variant var;
      BOTTEGA_TRY(sku, json::optional_string(v, "sku", vp + ".sku", 64));
      if (!sku || trim(*sku).empty()) return Error::invalid(vp + ".sku", "every variant needs a SKU (the import key)", "missing_field");
      var.sku = trim(*sku);
      BOTTEGA_TRY(vt, json::optional_string(v, "title", vp + ".title", 500));
      var.title = vt && *vt != "Default Title" ? *vt : "";
      if (const auto* price = v.if_contains("price"); price && !price->is_null()) {
        if (price->is_string()) {
          BOTTEGA_TRY(amount, parse_amount(std::string(price->as_string()), currency, vp + ".price"));
          var.prices[currency] = amount;
        } else if (price->is_int64()) {
          BOTTEGA_TRY(amount, parse_amount(std::to_string(price->as_int64()), currency, vp + ".price"));
          var.prices[currency] = amount;
        } else {
          return Error::invalid(vp + ".price", "a price is a decimal string such as \"49.90\"", "invalid_type");
        }
      }
      const auto* managed = v.if_contains("inventory_management");
      if (managed && managed->is_string()) {
        BOTTEGA_TRY(qty, json::optional_int(v, "inventory_quantity", vp + ".inventory_quantity"));
        var.stock = std::clamp<int64_t>(qty.value_or(0), 0, 1'000'000'000);
      }
      p.variants.push_back(std::move(var));
    }
    auto st = validate(p);
    if (!st.ok()) {
      Error e = st.error();
      e.field = path + "." + e.field;
      return e;
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace bottega::commerce
