// The provider simulator (tools/sim/sim.mjs) for end-to-end tests.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "harness.hpp"

namespace e2e {

// The provider simulator (tools/sim/sim.mjs) as a child process on a free port.
class Sim {
 public:
  Sim() {
    const char* src = std::getenv("BOTTEGA_SOURCE_DIR");
    std::string script = std::string(src ? src : ".") + "/tools/sim/sim.mjs";
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], 1);
      ::close(fds[0]);
      ::execlp("node", "node", script.c_str(), "--port", "0", "--quiet", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fds[1]);
    FILE* out = ::fdopen(fds[0], "r");
    char line[256];
    while (std::fgets(line, sizeof line, out)) {
      std::string l(line);
      if (auto at = l.find("listening on "); at != std::string::npos) {
        port_ = static_cast<uint16_t>(std::stoi(l.substr(at + 13)));
        break;
      }
    }
    out_ = out;
    if (port_ == 0) throw std::runtime_error("the simulator did not start (is node installed?)");
  }
  ~Sim() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_) std::fclose(out_);
  }
  uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  HttpResponse post(const std::string& path, const bj::value& body) const {
    return http_request(port_, "POST", path, dump(body), {}, 20s);
  }

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  FILE* out_ = nullptr;
};

}  // namespace e2e
