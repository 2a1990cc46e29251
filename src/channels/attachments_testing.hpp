// Test helpers for outbound files (adapter tests only): building an OutboundAttachment and reading
// back a multipart/form-data body.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "bottega/channel.hpp"
#include "bottega/http_client.hpp"
#include "core/crypto.hpp"

namespace bottega::channels::testing {

// A file of `size` bytes (content "x" repeated unless `content` is given), with a public URL.
inline OutboundAttachment file(std::string filename, std::string mime, int64_t size,
                               std::string content = {}) {
  OutboundAttachment a;
  a.filename = std::move(filename);
  a.mime_type = std::move(mime);
  if (content.empty()) content.assign(static_cast<size_t>(std::min<int64_t>(size, 64)), 'x');
  a.size = size;
  a.sha256 = crypto::hex(crypto::sha256(content));
  a.bytes = std::make_shared<const std::string>(std::move(content));
  a.public_url = "https://shop.example/media/m1/" + a.filename + "?exp=1&sig=ab";
  return a;
}

struct FormField {
  std::string name, filename, content_type, value;
};

inline std::string header_of(const HttpRequest& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

// The fields of a multipart/form-data request (strict enough for tests: CRLF framing, the
// boundary from Content-Type). Fails the test on a malformed body.
inline std::vector<FormField> form_fields(const HttpRequest& r) {
  std::vector<FormField> out;
  std::string ct = header_of(r, "Content-Type");
  auto b = ct.find("boundary=");
  EXPECT_EQ(ct.rfind("multipart/form-data; ", 0), 0u) << ct;
  if (b == std::string::npos) return out;
  std::string delim = "--" + ct.substr(b + 9);
  const std::string& body = r.body;
  size_t pos = 0;
  EXPECT_EQ(body.compare(0, delim.size() + 2, delim + "\r\n"), 0);
  pos = delim.size() + 2;
  for (;;) {
    size_t head_end = body.find("\r\n\r\n", pos);
    if (head_end == std::string::npos) {
      ADD_FAILURE() << "no part header end";
      return out;
    }
    FormField f;
    std::string head = body.substr(pos, head_end - pos);
    auto attr = [&](std::string key) {
      auto k = head.find(key + "=\"");
      if (k == std::string::npos) return std::string();
      auto e = head.find('"', k + key.size() + 2);
      return head.substr(k + key.size() + 2, e - (k + key.size() + 2));
    };
    f.name = attr("; name");
    f.filename = attr("; filename");
    if (auto c = head.find("Content-Type: "); c != std::string::npos)
      f.content_type = head.substr(c + 14, head.find("\r\n", c) == std::string::npos
                                               ? std::string::npos
                                               : head.find("\r\n", c) - c - 14);
    size_t end = body.find("\r\n" + delim, head_end + 4);
    if (end == std::string::npos) {
      ADD_FAILURE() << "no closing boundary";
      return out;
    }
    f.value = body.substr(head_end + 4, end - head_end - 4);
    out.push_back(std::move(f));
    pos = end + 2 + delim.size();
    if (body.compare(pos, 4, "--\r\n") == 0) {
      EXPECT_EQ(pos + 4, body.size());
      return out;
    }
    EXPECT_EQ(body.compare(pos, 2, "\r\n"), 0);
    pos += 2;
  }
}

inline const FormField* field(const std::vector<FormField>& fields, std::string_view name) {
  for (const auto& f : fields)
    if (f.name == name) return &f;
  return nullptr;
}

}  // namespace bottega::channels::testing
