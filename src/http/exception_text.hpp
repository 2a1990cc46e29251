// What an exception that reached a coroutine's completion handler says, for logs and errors.
#pragma once

#include <exception>
#include <string>

namespace bottega::http {

// what() of a std::exception; "unknown exception" for anything else, or for no exception at all.
inline std::string exception_text(std::exception_ptr e) {
  if (!e) return "unknown exception";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
  }
  return "unknown exception";
}

}  // namespace bottega::http
