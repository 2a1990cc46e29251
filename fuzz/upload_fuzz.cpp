// Agents' uploads (untrusted bytes and headers): the type sniffing and the upload check. Whatever
// the input, an accepted upload is never a type a browser would run, and an accepted image or PDF
// carries the signature of the type it is stored as.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "channels/media.hpp"
#include "channels/upload.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bottega::channels;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  // The first line is the claimed Content-Type, the second the filename, the rest the file.
  size_t a = bytes.find('\n');
  size_t b = a == std::string::npos ? std::string::npos : bytes.find('\n', a + 1);
  std::string type = bytes.substr(0, a);
  std::string name = a == std::string::npos ? "f" : bytes.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
  std::string file = b == std::string::npos ? bytes : bytes.substr(b + 1);
  for (const std::string& claimed : {type, std::string("image/png"), std::string("application/pdf"), std::string("text/plain")}) {
    auto r = upload::check(claimed, name, file, 1 << 16);
    if (!r) continue;
    if (media::runnable_type(r->mime_type)) std::abort();
    if (r->filename.empty() || r->filename.find('/') != std::string::npos) std::abort();
    bool checked = r->mime_type.rfind("image/", 0) == 0 || r->mime_type == "application/pdf";
    if (checked && upload::sniff(file) != r->mime_type) std::abort();
  }
  (void)upload::sniff(bytes);
  return 0;
}
