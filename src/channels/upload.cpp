#include "channels/upload.hpp"

#include <cctype>
#include <charconv>

#include "channels/form.hpp"
#include "channels/media.hpp"
#include "core/crypto.hpp"
#include "core/json.hpp"

namespace bottega::channels::upload {

namespace {

bool starts(std::string_view b, std::string_view magic, size_t at = 0) {
  return b.size() >= at + magic.size() && b.substr(at, magic.size()) == magic;
}

// "type/subtype" of RFC 6838 restricted-name characters, lower-cased, parameters dropped; "" when
// it is not one.
std::string media_type(std::string_view content_type) {
  std::string m(content_type.substr(0, content_type.find(';')));
  while (!m.empty() && (m.back() == ' ' || m.back() == '\t')) m.pop_back();
  size_t slash = m.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == m.size() || m.size() > 100) return {};
  for (auto& c : m) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$&-^_.+").find(c) != std::string_view::npos;
    if (!ok && c != '/') return {};
  }
  if (m.find('/', slash + 1) != std::string::npos) return {};
  return m;
}

}  // namespace

std::string sniff(std::string_view b) {
  if (starts(b, "\x89PNG\r\n\x1a\n")) return "image/png";
  if (starts(b, "\xff\xd8\xff")) return "image/jpeg";
  if (starts(b, "GIF87a") || starts(b, "GIF89a")) return "image/gif";
  if (starts(b, "RIFF") && starts(b, "WEBP", 8)) return "image/webp";
  if (starts(b, "BM") && b.size() >= 14) return "image/bmp";
  if (starts(b, "II*\0") || starts(b, "MM\0*")) return "image/tiff";
  if (starts(b, "ftyp", 4) && (starts(b, "heic", 8) || starts(b, "heix", 8) || starts(b, "mif1", 8)))
    return "image/heic";
  if (starts(b, "%PDF-")) return "application/pdf";
  return {};
}

Result<Checked> check(std::string_view content_type, std::string_view filename, std::string_view bytes,
                      size_t max_bytes) {
  Checked c;
  // A path (C:\Users\ann\photo.png) keeps its last component only.
  if (size_t cut = filename.find_last_of("/\\"); cut != std::string_view::npos) filename.remove_prefix(cut + 1);
  if (filename.empty()) return Error::invalid("filename", "filename is required (?filename=)", "missing_field");
  if (filename.size() > 255) return Error::invalid("filename", "filename is at most 255 bytes", "invalid_filename");
  if (json::invalid_utf8_at(filename) != std::string_view::npos)
    return Error::invalid("filename", "filename must be UTF-8", "invalid_filename");
  for (unsigned char ch : filename)
    if (ch < 0x20 || ch == 0x7f) return Error::invalid("filename", "filename has a control character", "invalid_filename");
  if (filename == "." || filename == "..") return Error::invalid("filename", "filename is not a file name", "invalid_filename");
  c.filename = std::string(filename);

  if (content_type.empty()) return Error::invalid("Content-Type", "Content-Type names the file's type", "missing_field");
  c.mime_type = media_type(content_type);
  if (c.mime_type.empty())
    return Error::invalid("Content-Type", "Content-Type must be a media type (type/subtype)", "invalid_content_type");
  if (media::runnable_type(c.mime_type))
    return Error::invalid("Content-Type", c.mime_type + " files are not accepted (a browser would run them)",
                          "media_type_not_allowed");
  if (c.mime_type.rfind("multipart/", 0) == 0)
    return Error::invalid("Content-Type", "send the file's bytes as the body, not a form", "media_type_not_allowed");

  if (bytes.empty()) return Error::invalid("body", "the file is empty", "empty_file");
  if (bytes.size() > max_bytes)
    return Error{Errc::payload_too_large, "media_too_large",
                 "the file is larger than " + std::to_string(max_bytes) + " bytes", "body"};

  // Images and PDF must be what they claim: a file that says image/png shows as one.
  bool checked_kind = c.mime_type.rfind("image/", 0) == 0 || c.mime_type == "application/pdf";
  if (checked_kind) {
    std::string seen = sniff(bytes);
    std::string want = c.mime_type == "image/jpg" || c.mime_type == "image/pjpeg" ? "image/jpeg"
                       : c.mime_type == "image/heif"                               ? "image/heic"
                       : c.mime_type == "image/x-ms-bmp"                           ? "image/bmp"
                                                                                   : c.mime_type;
    if (seen.empty() && want.rfind("image/", 0) == 0 && want != "image/png" && want != "image/jpeg" &&
        want != "image/gif" && want != "image/webp" && want != "image/bmp" && want != "image/tiff" &&
        want != "image/heic")
      return Error::invalid("Content-Type", c.mime_type + " images are not accepted (PNG, JPEG, GIF, WebP, BMP, TIFF, HEIC)",
                            "media_type_not_allowed");
    if (seen != want)
      return Error::invalid("Content-Type",
                            "the file is not " + c.mime_type + (seen.empty() ? std::string() : " (it looks like " + seen + ")"),
                            "media_type_mismatch");
    c.mime_type = want;
  }
  return c;
}

std::string signature(std::string_view key, std::string_view tenant, std::string_view id, int64_t exp_s) {
  std::string data;
  data.append(tenant).append("|").append(id).append("|").append(std::to_string(exp_s));
  return crypto::base64url(crypto::hmac_sha256(key, data));
}

std::string signed_url(std::string_view base, std::string_view key, std::string_view tenant, std::string_view id,
                       std::string_view filename, int64_t exp_s) {
  std::string url(base);
  url.append("/media/").append(form::encode_component(id)).append("/").append(form::encode_component(filename));
  url.append("?exp=").append(std::to_string(exp_s)).append("&sig=").append(signature(key, tenant, id, exp_s));
  return url;
}

Status verify(std::string_view key, std::string_view tenant, std::string_view id, std::string_view exp,
              std::string_view sig, int64_t now_s) {
  int64_t exp_s = 0;
  auto [end, ec] = std::from_chars(exp.data(), exp.data() + exp.size(), exp_s);
  bool number = ec == std::errc{} && end == exp.data() + exp.size() && !exp.empty() && exp.size() <= 12;
  // The MAC is compared whatever exp says, so a bad one and an expired one take the same time.
  bool good = crypto::equal_ct(signature(key, tenant, id, number ? exp_s : -1), sig) && number && !key.empty();
  if (!good) return Error::forbidden("invalid_signature", "this link is not valid");
  if (exp_s < now_s) return Error::forbidden("url_expired", "this link has expired");
  return {};
}

}  // namespace bottega::channels::upload
