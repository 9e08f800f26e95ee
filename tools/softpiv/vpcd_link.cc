#include "tools/softpiv/vpcd_link.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

namespace keyward::softpiv {
namespace {

enum class ReadStatus { kOk, kClosed, kStopped };

ReadStatus ReadExact(int fd, uint8_t* buf, size_t n, const std::atomic<bool>& stop) {
  size_t got = 0;
  while (got < n) {
    if (stop) return ReadStatus::kStopped;
    pollfd p{fd, POLLIN, 0};
    int pr = poll(&p, 1, 200);
    if (pr < 0 && errno == EINTR) continue;
    if (pr < 0) return ReadStatus::kClosed;
    if (pr == 0) continue;
    ssize_t r = recv(fd, buf + got, n - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return ReadStatus::kClosed;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
    got += static_cast<size_t>(r);
  }
  return ReadStatus::kOk;
}

bool WriteMessage(int fd, ByteSpan payload) {
  Bytes msg;
  msg.reserve(payload.size() + 2);
  msg.push_back(static_cast<uint8_t>(payload.size() >> 8));
  msg.push_back(static_cast<uint8_t>(payload.size()));
  msg.insert(msg.end(), payload.begin(), payload.end());
  size_t off = 0;
  while (off < msg.size()) {
    ssize_t w = send(fd, msg.data() + off, msg.size() - off, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    off += static_cast<size_t>(w);
  }
  return true;
}

int Connect(const VpcdOptions& o) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(o.port);
  if (inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr) != 1 ||
      connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

enum class SessionEnd { kClosed, kStopped, kVanished };

SessionEnd Serve(int fd, SoftPivCard& card, const std::atomic<bool>& stop) {
  Bytes buf;
  while (true) {
    uint8_t len[2];
    ReadStatus s = ReadExact(fd, len, 2, stop);
    if (s != ReadStatus::kOk) return s == ReadStatus::kStopped ? SessionEnd::kStopped : SessionEnd::kClosed;
    size_t n = static_cast<size_t>(len[0] << 8 | len[1]);
    buf.resize(n);
    if (n > 0) {
      s = ReadExact(fd, buf.data(), n, stop);
      if (s != ReadStatus::kOk) {
        return s == ReadStatus::kStopped ? SessionEnd::kStopped : SessionEnd::kClosed;
      }
    }
    if (n == 1) {
      switch (buf[0]) {
        case 0x00:  // power off
        case 0x01:  // power on
        case 0x02:  // reset
          card.Reset();
          break;
        case 0x04:
          if (!WriteMessage(fd, SoftPivCard::Atr())) return SessionEnd::kClosed;
          break;
        default: break;
      }
      continue;
    }
    auto answer = card.Process(buf);
    if (!answer) return SessionEnd::kVanished;
    if (!WriteMessage(fd, *answer)) return SessionEnd::kClosed;
  }
}

}  // namespace

Result<void> ServeVpcd(SoftPivCard& card, const VpcdOptions& options,
                       const std::atomic<bool>& stop) {
  while (!stop) {
    int fd = Connect(options);
    if (fd < 0) {
      if (!options.reconnect) return Fail(ErrorCode::kIo, "cannot connect to vpcd");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    card.Reset();
    SessionEnd end = Serve(fd, card, stop);
    close(fd);
    card.Reset();
    if (end == SessionEnd::kVanished) return Ok();
    if (end == SessionEnd::kStopped || !options.reconnect) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Ok();
}

}  // namespace keyward::softpiv
