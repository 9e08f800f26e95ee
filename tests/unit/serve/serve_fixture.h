// Test harness for `keyward serve`: starts the real binary (port 0, its ready line gives the
// port), talks to it with a Boost.Beast client, stops it with SIGTERM and waits for it (bounded;
// SIGKILL after 20 s). Every wait is bounded.
#ifndef KEYWARD_TESTS_UNIT_SERVE_SERVE_FIXTURE_H_
#define KEYWARD_TESTS_UNIT_SERVE_SERVE_FIXTURE_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"

namespace keyward::serve::testing {

struct HttpAnswer {
  int status = 0;
  std::multimap<std::string, std::string> headers;  // lower-case names
  std::string body;
  Json json() const;
  std::string Header(const std::string& name) const;
  std::string ErrorCode() const;  // json()["errorCode"] or ""
};

class ServerProcess {
 public:
  // Writes `config` (a JSON object; "listen" and "store" filled in when absent) into `dir` and
  // starts `keyward serve --config`. Fails the test (ADD_FAILURE) and returns nullptr when the
  // server does not print its ready line within 20 s.
  static std::unique_ptr<ServerProcess> Start(const std::string& dir, Json config);
  ~ServerProcess();
  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  // SIGTERM and wait; returns the exit status (or -1).
  int Stop();
  std::string StderrText() const;

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string dir_;
  int out_fd_ = -1;
};

// One keep-alive connection with a cookie jar for the session cookie.
class HttpClient {
 public:
  explicit HttpClient(uint16_t port, std::string origin = "http://localhost:8080");
  ~HttpClient();
  HttpAnswer Request(const std::string& method, const std::string& target,
                     const std::string& body = "",
                     const std::vector<std::pair<std::string, std::string>>& headers = {},
                     bool add_origin = true, bool add_content_type = true);
  HttpAnswer Post(const std::string& target, const Json& body) {
    return Request("POST", target, body.dump());
  }
  HttpAnswer Get(const std::string& target) { return Request("GET", target); }
  std::string& cookie() { return cookie_; }
  // Connection failures answer status 0 instead of failing the test (shutdown tests).
  bool quiet = false;

 private:
  struct Conn;
  uint16_t port_;
  std::string origin_;
  std::string cookie_;  // "name=value"
  std::unique_ptr<Conn> conn_;
};

// A raw TCP connection for the hardening tests (partial requests, oversize headers).
class RawConnection {
 public:
  explicit RawConnection(uint16_t port);
  ~RawConnection();
  bool Send(const std::string& bytes);
  // Reads until the peer closes or `timeout_ms` passes; returns what arrived and whether the peer
  // closed.
  std::pair<std::string, bool> ReadUntilClosed(int timeout_ms);
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

std::string TempDir(const std::string& name);

}  // namespace keyward::serve::testing

#endif  // KEYWARD_TESTS_UNIT_SERVE_SERVE_FIXTURE_H_
