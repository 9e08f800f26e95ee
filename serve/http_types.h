// The request and answer the routes see: plain data, no Boost.Beast types (only
// http_server.cc includes Beast, so the routes compile fast and test without sockets).
#ifndef KEYWARD_SERVE_HTTP_TYPES_H_
#define KEYWARD_SERVE_HTTP_TYPES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace keyward::serve {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // target without the query, as sent (not decoded)
  std::string query;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower case
  std::string body;
  std::string peer;       // socket peer address
  std::string client_ip;  // after trusted X-Forwarded-For
  bool tls = false;
  std::string tls_client_subject;      // mTLS: verified client certificate subject ("" when none)
  std::string tls_client_fingerprint;  // mTLS: hex SHA-256 of the client certificate DER
  std::string request_id;
  size_t worker = 0;  // the I/O thread (index into per-worker resources)

  // First header with this lower-case name ("" when absent).
  std::string_view Header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers) {
      if (k == lower_name) return v;
    }
    return {};
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool close = false;  // close the connection after this answer
  // For logs and metrics (never sent): the route pattern and the error code name.
  std::string route;
  std::string error_code;
  std::string ceremony;  // ceremony name for metrics ("login", "registration", ...)
};

}  // namespace keyward::serve

#endif  // KEYWARD_SERVE_HTTP_TYPES_H_
