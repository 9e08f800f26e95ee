// The HTTP/1.1 server under `keyward serve`: Boost.Beast on Asio, plain or TLS 1.2/1.3 through
// OpenSSL. No HTTP parsing of its own: Beast's parser reads every request, with its header and
// body limits set from the configuration.
//
// Concurrency: one io_context per worker thread, each with its own listening socket on the same
// port (SO_REUSEPORT: the kernel spreads new connections). A connection lives on one worker for
// its whole life, so a request's handler runs on that worker's thread and `HttpRequest::worker`
// names it (per-worker resources need no locking). Handlers may block briefly (a SQLite commit);
// a slow or idle CLIENT never holds a thread: every read and write is asynchronous and bounded by
// a deadline (idle keep-alive, whole-request read, TLS handshake).
//
// Shutdown (Stop(), or SIGTERM/SIGINT during Run()): the listeners close, idle keep-alive
// connections close, a request being read or handled is finished and answered with
// "Connection: close", then Run() returns. After `shutdown_grace_ms` whatever remains is cut.
// SIGHUP during Run() calls HttpServerOptions::on_hangup and keeps serving.
#ifndef KEYWARD_SERVE_HTTP_SERVER_H_
#define KEYWARD_SERVE_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "keyward/result.h"
#include "serve/config.h"
#include "serve/http_types.h"
#include "serve/net_util.h"

namespace keyward::serve {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  size_t threads = 1;
  Limits limits;
  std::optional<TlsFiles> tls;
  std::vector<Cidr> trusted_proxies;
  // SIGHUP during Run() calls this on the control thread (keyward serve: MDS refresh now);
  // without it SIGHUP is ignored while serving.
  std::function<void()> on_hangup;
};

class HttpServer {
 public:
  // Called for every request on the worker's thread; fills the answer.
  using Handler = std::function<void(HttpRequest&, HttpResponse&)>;
  // Called for a request the HTTP layer refused before it was complete (status 400, 408, 413,
  // 431); `code` is the error code name. The answer is sent and the connection closed.
  using ErrorHandler =
      std::function<void(int status, std::string_view code, HttpRequest&, HttpResponse&)>;
  // Called when every request is accounted (after the answer was written): for access logs.
  // Binds and listens. kConfigInvalid for bad TLS files, kIo when the address cannot be bound.
  static Result<std::unique_ptr<HttpServer>> Create(const HttpServerOptions& options,
                                                    Handler handler, ErrorHandler on_error);
  ~HttpServer();

  uint16_t port() const;
  std::string listen_address() const;  // "HOST:PORT" (IPv6 in brackets)
  size_t threads() const;
  // Serves until Stop() or SIGTERM/SIGINT; returns when drained (or cut after the grace time).
  // `on_listening` runs once the workers accept.
  void Run(const std::function<void()>& on_listening = {});
  // Thread-safe; may be called from any thread (not from a signal handler).
  void Stop();
  // Connections currently open (for metrics).
  size_t open_connections() const;

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace keyward::serve

#endif  // KEYWARD_SERVE_HTTP_SERVER_H_
