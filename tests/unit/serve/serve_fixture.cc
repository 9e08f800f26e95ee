#include "tests/unit/serve/serve_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace keyward::serve::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

Json HttpAnswer::json() const {
  auto j = ParseJson(body);
  return j ? *j : Json();
}
std::string HttpAnswer::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}
std::string HttpAnswer::ErrorCode() const {
  Json j = json();
  if (j.is_object() && j.contains("errorCode") && j["errorCode"].is_string()) {
    return j["errorCode"].get<std::string>();
  }
  return "";
}

std::string TempDir(const std::string& name) {
  std::string base = std::filesystem::temp_directory_path() /
                     ("kw-serve-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(base);
  std::filesystem::create_directories(base);
  return base;
}

std::unique_ptr<ServerProcess> ServerProcess::Start(const std::string& dir, Json config) {
  if (!config.contains("listen")) config["listen"] = "127.0.0.1:0";
  if (!config.contains("store")) config["store"] = "sqlite:" + dir + "/store.db";
  if (!config.contains("rp_id")) config["rp_id"] = "localhost";
  if (!config.contains("origins")) config["origins"] = {"http://localhost:8080"};
  if (!config.contains("cookie_secure")) config["cookie_secure"] = false;
  if (!config.contains("threads")) config["threads"] = 2;
  std::string cfg_path = dir + "/config.json";
  std::ofstream(cfg_path) << config.dump(2);
  int out[2];
  if (::pipe(out) != 0) return nullptr;
  std::string bin = std::string(KEYWARD_BIN_DIR) + "/keyward";
  std::string err_path = dir + "/stderr.log";
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (err >= 0) ::dup2(err, 2);
    ::close(out[0]);
    ::close(out[1]);
    ::execl(bin.c_str(), bin.c_str(), "serve", "--config", cfg_path.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  auto p = std::unique_ptr<ServerProcess>(new ServerProcess());
  p->pid_ = pid;
  p->dir_ = dir;
  p->out_fd_ = out[0];
  std::string line;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{out[0], POLLIN, 0};
    if (::poll(&pfd, 1, 200) <= 0) continue;
    char buf[256];
    ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    line.append(buf, static_cast<size_t>(n));
  }
  auto j = ParseJson(line.substr(0, line.find('\n')));
  if (!j || !j->is_object() || (*j)["event"] != "ready") {
    ADD_FAILURE() << "server did not get ready; stdout: " << line << " stderr: " << p->StderrText();
    return nullptr;
  }
  std::string listen = (*j)["listen"].get<std::string>();
  p->port_ = static_cast<uint16_t>(std::stoi(listen.substr(listen.rfind(':') + 1)));
  return p;
}

int ServerProcess::Stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (true) {
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pid_ = -1;
  if (out_fd_ >= 0) ::close(out_fd_);
  out_fd_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

ServerProcess::~ServerProcess() { Stop(); }

std::string ServerProcess::StderrText() const {
  std::ifstream in(dir_ + "/stderr.log");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct HttpClient::Conn {
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  bool open = false;
};

HttpClient::HttpClient(uint16_t port, std::string origin)
    : port_(port), origin_(std::move(origin)), conn_(std::make_unique<Conn>()) {}
HttpClient::~HttpClient() = default;

HttpAnswer HttpClient::Request(const std::string& method, const std::string& target,
                               const std::string& body,
                               const std::vector<std::pair<std::string, std::string>>& headers,
                               bool add_origin, bool add_content_type) {
  HttpAnswer answer;
  for (int attempt = 0; attempt < 2; ++attempt) {
    beast::error_code ec;
    if (!conn_->open) {
      conn_ = std::make_unique<Conn>();
      conn_->stream.expires_after(std::chrono::seconds(10));
      conn_->stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_),
                            ec);
      if (ec) {
        if (!quiet) ADD_FAILURE() << "connect: " << ec.message();
        return answer;
      }
      conn_->open = true;
    }
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    if (req.method() == http::verb::unknown) req.method_string(method);
    req.set(http::field::host, "localhost:8080");
    if (add_origin && method != "GET") req.set(http::field::origin, origin_);
    if (add_content_type && method == "POST")
      req.set(http::field::content_type, "application/json");
    if (!cookie_.empty()) req.set(http::field::cookie, cookie_);
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    conn_->stream.expires_after(std::chrono::seconds(20));
    http::write(conn_->stream, req, ec);
    http::response<http::string_body> res;
    if (!ec) http::read(conn_->stream, conn_->buffer, res, ec);
    if (ec) {
      conn_->open = false;
      if (attempt == 0) continue;  // the server closed a kept-alive connection: retry once
      if (!quiet) ADD_FAILURE() << "http " << method << " " << target << ": " << ec.message();
      return answer;
    }
    answer.status = res.result_int();
    for (const auto& f : res) {
      std::string name(f.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      answer.headers.emplace(name, std::string(f.value()));
      if (name == "set-cookie") {
        std::string v(f.value());
        std::string pair = v.substr(0, v.find(';'));
        if (v.find("Max-Age=0") != std::string::npos) {
          cookie_.clear();
        } else {
          cookie_ = pair;
        }
      }
    }
    answer.body = res.body();
    if (!res.keep_alive()) conn_->open = false;
    return answer;
  }
  return answer;
}

RawConnection::RawConnection(uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}
RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}
bool RawConnection::Send(const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}
std::pair<std::string, bool> RawConnection::ReadUntilClosed(int timeout_ms) {
  std::string got;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, 50) <= 0) continue;
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return {got, true};
    got.append(buf, static_cast<size_t>(n));
  }
  return {got, false};
}

}  // namespace keyward::serve::testing
