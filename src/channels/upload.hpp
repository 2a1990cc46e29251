// Files agents send (POST /api/v1/media, then a message of kind "attachment"): checking an upload
// before it is stored, and the signed, expiring public URL providers fetch it from
// (GET /media/{id}/{filename}?exp=&sig=). Pure functions: no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "bottega/errors.hpp"

namespace bottega::channels::upload {

// The media type the bytes' signature shows (image/png, image/jpeg, image/gif, image/webp,
// image/bmp, image/tiff, image/heic, application/pdf), or "" when none of them.
std::string sniff(std::string_view bytes);

struct Checked {
  std::string mime_type;  // lower case, without parameters
  std::string filename;   // the last path component, as given (UTF-8)
};

// Checks an upload: `content_type` (the request's Content-Type) names a type/subtype that is not
// one a browser would run (HTML, SVG, XML, script, CSS: channels::media::runnable_type), and for
// images and PDF the bytes carry that type's signature; `filename` is 1..255 bytes of UTF-8
// without control characters (a path is cut to its last component); the bytes are 1..max_bytes.
// Errors (status, code, field): 400 missing_field / invalid_filename "filename"; 400
// invalid_content_type / media_type_not_allowed / media_type_mismatch "Content-Type";
// 400 empty_file, 413 media_too_large "body".
Result<Checked> check(std::string_view content_type, std::string_view filename, std::string_view bytes,
                      size_t max_bytes);

// HMAC-SHA256(key, tenant "|" id "|" exp), base64url: the signature of a public media URL.
std::string signature(std::string_view key, std::string_view tenant, std::string_view id, int64_t exp_s);

// "{base}/media/{id}/{filename}?exp={exp_s}&sig={signature}", the filename percent-encoded.
std::string signed_url(std::string_view base, std::string_view key, std::string_view tenant, std::string_view id,
                       std::string_view filename, int64_t exp_s);

// Whether `sig` (as in the URL) signs tenant|id|exp with `key` (constant time) and exp has not
// passed at now_s. Errors: 403 invalid_signature; 403 url_expired.
Status verify(std::string_view key, std::string_view tenant, std::string_view id, std::string_view exp,
              std::string_view sig, int64_t now_s);

}  // namespace bottega::channels::upload
