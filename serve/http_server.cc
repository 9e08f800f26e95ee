#include "serve/http_server.h"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <list>
#include <map>
#include <mutex>
#include <thread>

#include "core/bytes.h"

namespace keyward::serve {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Closes the connection if it waits for a request; otherwise lets the current one finish.
  virtual void CloseIfIdle() = 0;
  virtual void ForceClose() = 0;
};

}  // namespace

struct Worker {
  asio::io_context ioc{1};
  std::optional<tcp::acceptor> acceptor;
  std::list<std::weak_ptr<SessionBase>> sessions;  // touched on this worker's thread only
  std::thread thread;
};

struct HttpServer::Impl {
  HttpServerOptions options;
  Handler handler;
  ErrorHandler on_error;
  std::optional<ssl::context> tls;
  tcp::endpoint bound;
  std::atomic<bool> draining{false};
  std::atomic<size_t> connections{0};
  std::mutex per_ip_mu;
  std::map<std::string, uint32_t> per_ip;
  asio::io_context control{1};
  std::atomic<bool> stop_requested{false};
  // Last member: destroyed first, so sessions still pending in an io_context find the counters.
  std::vector<std::unique_ptr<Worker>> workers;

  void Accept(Worker& w);
  void StartShutdown();
  bool AdmitConnection(const std::string& ip) {
    if (connections.load() >= options.limits.max_connections) return false;
    if (!TrustedPeer(ip)) {
      std::lock_guard lock(per_ip_mu);
      uint32_t& n = per_ip[ip];
      if (n >= options.limits.max_connections_per_ip) {
        if (n == 0) per_ip.erase(ip);
        return false;
      }
      ++n;
    }
    ++connections;
    return true;
  }
  void ReleaseConnection(const std::string& ip) {
    --connections;
    if (TrustedPeer(ip)) return;
    std::lock_guard lock(per_ip_mu);
    auto it = per_ip.find(ip);
    if (it != per_ip.end() && --it->second == 0) per_ip.erase(it);
  }
  bool TrustedPeer(const std::string& ip) const {
    if (options.trusted_proxies.empty()) return false;
    auto parsed = ParseIp(ip);
    if (!parsed) return false;
    for (const Cidr& c : options.trusted_proxies) {
      if (c.Contains(*parsed)) return true;
    }
    return false;
  }
};

namespace {

template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(HttpServer::Impl& server, Worker& worker, Stream stream, std::string peer, bool tls)
      : server_(server),
        worker_(worker),
        stream_(std::move(stream)),
        peer_(std::move(peer)),
        tls_(tls) {}
  ~Session() override { server_.ReleaseConnection(peer_); }

  void Start(std::list<std::weak_ptr<SessionBase>>::iterator self_it) {
    self_it_ = self_it;
    if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      beast::get_lowest_layer(stream_).expires_after(
          std::chrono::milliseconds(server_.options.limits.handshake_timeout_ms));
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return self->Finish();
                                self->ReadClientCertificate();
                                self->WaitRequest();
                              });
    } else {
      WaitRequest();
    }
  }

  void CloseIfIdle() override {
    if (idle_) ForceClose();
  }
  void ForceClose() override {
    beast::error_code ec;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(stream_).cancel();
  }

 private:
  void ReadClientCertificate() {
    if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      SSL* ssl = stream_.native_handle();
      X509* cert = SSL_get1_peer_certificate(ssl);
      if (cert == nullptr) return;
      if (SSL_get_verify_result(ssl) == X509_V_OK) {
        char* subject = X509_NAME_oneline(X509_get_subject_name(cert), nullptr, 0);
        if (subject) {
          client_subject_ = subject;
          OPENSSL_free(subject);
        }
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        if (X509_digest(cert, EVP_sha256(), md, &len) == 1) {
          client_fingerprint_ = HexEncode(ByteSpan(md, len));
        }
      }
      X509_free(cert);
    }
  }

  // Phase 1: a keep-alive connection waits for the first byte of its next request.
  void WaitRequest() {
    if (server_.draining.load()) return Finish();
    if (buffer_.size() > 0) return ReadRequest();
    idle_ = true;
    beast::get_lowest_layer(stream_).expires_after(
        std::chrono::milliseconds(server_.options.limits.idle_timeout_ms));
    stream_.async_read_some(buffer_.prepare(512),
                            [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                              self->idle_ = false;
                              if (ec) return self->Finish();
                              self->buffer_.commit(n);
                              self->ReadRequest();
                            });
  }

  // Phase 2: the whole request (headers and body) must arrive within read_timeout_ms.
  void ReadRequest() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(server_.options.limits.max_header_bytes));
    parser_->body_limit(server_.options.limits.max_body_bytes);
    beast::get_lowest_layer(stream_).expires_after(
        std::chrono::milliseconds(server_.options.limits.read_timeout_ms));
    http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
        ec == ssl::error::stream_truncated) {
      return Finish();
    }
    HttpRequest req = BaseRequest();
    if (ec) {
      int status = 400;
      std::string_view code = "http_malformed";
      if (ec == http::error::header_limit) {
        status = 431;
        code = "headers_too_large";
      } else if (ec == http::error::body_limit) {
        status = 413;
        code = "request_too_large";
      } else if (ec == beast::error::timeout) {
        // The deadline closed the socket already: account for the request, answer nothing.
        HttpResponse resp;
        server_.on_error(408, "request_timeout", req, resp);
        return Finish();
      }
      if (parser_ && parser_->is_header_done()) FillHead(req, parser_->get());
      HttpResponse resp;
      server_.on_error(status, code, req, resp);
      resp.close = true;
      return Write(resp, 11, false);
    }
    auto msg = parser_->release();
    FillHead(req, msg);
    req.body = std::move(msg.body());
    HttpResponse resp;
    server_.handler(req, resp);
    bool keep = msg.keep_alive() && !resp.close && !server_.draining.load();
    Write(resp, msg.version(), keep);
  }

  HttpRequest BaseRequest() {
    HttpRequest req;
    req.peer = peer_;
    req.client_ip = peer_;
    req.tls = tls_;
    req.tls_client_subject = client_subject_;
    req.tls_client_fingerprint = client_fingerprint_;
    req.worker = worker_index_;
    return req;
  }

  template <class Msg>
  void FillHead(HttpRequest& req, const Msg& msg) {
    req.method = std::string(msg.method_string());
    std::string_view target = msg.target();
    auto q = target.find('?');
    req.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
    for (const auto& f : msg) {
      req.headers.emplace_back(ToLower(f.name_string()), std::string(f.value()));
    }
    req.client_ip =
        ClientAddress(peer_, req.Header("x-forwarded-for"), server_.options.trusted_proxies);
  }

  void Write(HttpResponse& resp, unsigned version, bool keep_alive) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(version);
    res->result(static_cast<http::status>(resp.status));
    res->set(http::field::server, "keyward");
    if (!resp.content_type.empty()) res->set(http::field::content_type, resp.content_type);
    for (const auto& [k, v] : resp.headers) res->insert(k, v);
    res->body() = std::move(resp.body);
    res->keep_alive(keep_alive);
    res->prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(
        std::chrono::milliseconds(server_.options.limits.read_timeout_ms));
    http::async_write(
        stream_, *res,
        [self = this->shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
          if (ec || !keep_alive) return self->Finish();
          self->parser_.reset();
          self->WaitRequest();
        });
  }

  void Finish() {
    if (finished_) return;
    finished_ = true;
    if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      // No TLS close_notify round trip: a peer that stopped reading must not hold us.
    }
    beast::error_code ec;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ec);
    beast::get_lowest_layer(stream_).close();
    worker_.sessions.erase(self_it_);
  }

 public:
  size_t worker_index_ = 0;

 private:
  HttpServer::Impl& server_;
  Worker& worker_;
  Stream stream_;
  std::string peer_;
  bool tls_;
  std::string client_subject_;
  std::string client_fingerprint_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::list<std::weak_ptr<SessionBase>>::iterator self_it_;
  bool idle_ = false;
  bool finished_ = false;
};

}  // namespace

void HttpServer::Impl::Accept(Worker& w) {
  if (!w.acceptor || !w.acceptor->is_open()) return;
  w.acceptor->async_accept(w.ioc, [this, &w](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || draining.load()) return;
      // EMFILE and the like: try again shortly instead of spinning.
      auto t = std::make_shared<asio::steady_timer>(w.ioc, std::chrono::milliseconds(50));
      t->async_wait([this, &w, t](beast::error_code) { Accept(w); });
      return;
    }
    beast::error_code ep_ec;
    auto ep = socket.remote_endpoint(ep_ec);
    std::string peer = ep_ec ? std::string("unknown") : ep.address().to_string();
    if (ep.address().is_v6() && ep.address().to_v6().is_v4_mapped()) {
      peer = asio::ip::make_address_v4(asio::ip::v4_mapped, ep.address().to_v6()).to_string();
    }
    if (!AdmitConnection(peer)) {
      socket.close(ep_ec);
      return Accept(w);
    }
    socket.set_option(tcp::no_delay(true), ep_ec);
    size_t index = 0;
    for (size_t i = 0; i < workers.size(); ++i) {
      if (workers[i].get() == &w) index = i;
    }
    if (tls) {
      auto s = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
          *this, w,
          beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *tls), peer,
          true);
      s->worker_index_ = index;
      auto it = w.sessions.insert(w.sessions.end(), s);
      s->Start(it);
    } else {
      auto s = std::make_shared<Session<beast::tcp_stream>>(
          *this, w, beast::tcp_stream(std::move(socket)), peer, false);
      s->worker_index_ = index;
      auto it = w.sessions.insert(w.sessions.end(), s);
      s->Start(it);
    }
    Accept(w);
  });
}

void HttpServer::Impl::StartShutdown() {
  if (draining.exchange(true)) return;
  for (auto& w : workers) {
    asio::post(w->ioc, [wp = w.get()] {
      beast::error_code ec;
      if (wp->acceptor) wp->acceptor->close(ec);
      // Copy: closing may erase entries.
      std::vector<std::shared_ptr<SessionBase>> live;
      for (auto& s : wp->sessions) {
        if (auto p = s.lock()) live.push_back(p);
      }
      for (auto& p : live) p->CloseIfIdle();
    });
  }
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() {
  for (auto& w : impl_->workers) {
    w->ioc.stop();
    if (w->thread.joinable()) w->thread.join();
  }
}

Result<std::unique_ptr<HttpServer>> HttpServer::Create(const HttpServerOptions& options,
                                                       Handler handler, ErrorHandler on_error) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->handler = std::move(handler);
  impl->on_error = std::move(on_error);
  if (impl->options.threads == 0) impl->options.threads = 1;
  if (options.tls) {
    impl->tls.emplace(ssl::context::tls_server);
    ssl::context& ctx = *impl->tls;
    SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                    ssl::context::single_dh_use);
    SSL_CTX_set_options(ctx.native_handle(),
                        SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_cipher_list(ctx.native_handle(),
                            "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                            "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                            "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305");
    beast::error_code ec;
    ctx.use_certificate_chain_file(options.tls->cert, ec);
    if (ec) return Fail(ErrorCode::kConfigInvalid, "tls.cert: " + ec.message());
    ctx.use_private_key_file(options.tls->key, ssl::context::pem, ec);
    if (ec) return Fail(ErrorCode::kConfigInvalid, "tls.key: " + ec.message());
    if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
      return Fail(ErrorCode::kConfigInvalid, "tls.key does not match tls.cert");
    }
    if (!options.tls->client_ca.empty()) {
      ctx.load_verify_file(options.tls->client_ca, ec);
      if (ec) return Fail(ErrorCode::kConfigInvalid, "tls.client_ca: " + ec.message());
      // Ask for a client certificate; verify it when sent; a browser without one still connects.
      ctx.set_verify_mode(ssl::verify_peer);
      ctx.set_verify_callback([](bool, ssl::verify_context&) { return true; });
    }
  }
  beast::error_code ec;
  auto address = asio::ip::make_address(options.host, ec);
  if (ec) return Fail(ErrorCode::kConfigInvalid, "listen host is not an IP address");
  uint16_t port = options.port;
  for (size_t i = 0; i < impl->options.threads; ++i) {
    auto w = std::make_unique<Worker>();
    tcp::endpoint ep(address, port);
    w->acceptor.emplace(w->ioc);
    w->acceptor->open(ep.protocol(), ec);
    if (!ec) w->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) w->acceptor->set_option(ReusePort(true), ec);
    if (!ec) w->acceptor->bind(ep, ec);
    if (!ec) w->acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Fail(ErrorCode::kIo, "cannot listen on " + options.host + ":" + std::to_string(port) +
                                      ": " + ec.message());
    }
    if (i == 0) {
      impl->bound = w->acceptor->local_endpoint();
      port = impl->bound.port();
    }
    impl->workers.push_back(std::move(w));
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

uint16_t HttpServer::port() const { return impl_->bound.port(); }
size_t HttpServer::threads() const { return impl_->workers.size(); }
size_t HttpServer::open_connections() const { return impl_->connections.load(); }
std::string HttpServer::listen_address() const {
  auto a = impl_->bound.address();
  if (a.is_v6()) return "[" + a.to_string() + "]:" + std::to_string(port());
  return a.to_string() + ":" + std::to_string(port());
}

void HttpServer::Stop() {
  impl_->stop_requested = true;
  asio::post(impl_->control, [this] { impl_->control.stop(); });
}

void HttpServer::Run(const std::function<void()>& on_listening) {
  Impl& im = *impl_;
  asio::signal_set signals(im.control, SIGTERM, SIGINT);
  signals.async_wait([&im](beast::error_code ec, int) {
    if (!ec) im.control.stop();
  });
  asio::signal_set hangup(im.control, SIGHUP);
  std::function<void(beast::error_code, int)> on_hangup = [&](beast::error_code ec, int) {
    if (ec) return;
    if (im.options.on_hangup) im.options.on_hangup();
    hangup.async_wait(on_hangup);
  };
  hangup.async_wait(on_hangup);
  auto guard = asio::make_work_guard(im.control);
  for (auto& w : im.workers) {
    im.Accept(*w);
    Worker* wp = w.get();
    wp->thread = std::thread([wp] { wp->ioc.run(); });
  }
  if (on_listening) on_listening();
  if (!im.stop_requested.load()) im.control.run();
  signals.cancel();
  hangup.cancel();
  im.StartShutdown();
  // Drain: each worker's run() returns once its last connection closed.
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(im.options.limits.shutdown_grace_ms);
  while (im.connections.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (auto& w : im.workers) {
    if (im.connections.load() > 0) {
      asio::post(w->ioc, [wp = w.get()] {
        std::vector<std::shared_ptr<SessionBase>> live;
        for (auto& s : wp->sessions) {
          if (auto p = s.lock()) live.push_back(p);
        }
        for (auto& p : live) p->ForceClose();
      });
    }
  }
  for (auto& w : im.workers) {
    if (w->thread.joinable()) w->thread.join();
  }
}

}  // namespace keyward::serve
