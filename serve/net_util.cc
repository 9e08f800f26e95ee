#include "serve/net_util.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace keyward::serve {

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (v4) {
    inet_ntop(AF_INET, bytes.data() + 12, buf, sizeof buf);
  } else {
    inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  }
  return buf;
}

std::optional<IpAddress> ParseIp(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  std::string s(text);
  IpAddress ip;
  in_addr a4;
  if (inet_pton(AF_INET, s.c_str(), &a4) == 1) {
    ip.v4 = true;
    ip.bytes[10] = 0xff;
    ip.bytes[11] = 0xff;
    std::memcpy(ip.bytes.data() + 12, &a4, 4);
    return ip;
  }
  in6_addr a6;
  if (inet_pton(AF_INET6, s.c_str(), &a6) == 1) {
    std::memcpy(ip.bytes.data(), &a6, 16);
    // An IPv4-mapped IPv6 address (what a dual-stack socket reports) is the IPv4 client.
    static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    ip.v4 = std::memcmp(ip.bytes.data(), kMapped, 12) == 0;
    return ip;
  }
  return std::nullopt;
}

bool Cidr::Contains(const IpAddress& ip) const {
  int bits = prefix;
  for (size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((ip.bytes[i] & mask) != (base.bytes[i] & mask)) return false;
  }
  return true;
}

std::optional<Cidr> ParseCidr(std::string_view text) {
  auto slash = text.find('/');
  auto ip = ParseIp(text.substr(0, slash));
  if (!ip) return std::nullopt;
  Cidr c;
  c.base = *ip;
  c.prefix = 128;
  if (slash != std::string_view::npos) {
    std::string_view p = text.substr(slash + 1);
    int n = -1;
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), n);
    if (ec != std::errc() || ptr != p.data() + p.size() || p.empty()) return std::nullopt;
    int max = ip->v4 ? 32 : 128;
    if (n < 0 || n > max) return std::nullopt;
    c.prefix = ip->v4 ? n + 96 : n;
  }
  return c;
}

std::optional<std::pair<std::string, uint16_t>> SplitHostPort(std::string_view text) {
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return std::nullopt;
  }
  unsigned n = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
  if (host.empty() || port.empty() || ec != std::errc() || ptr != port.data() + port.size() ||
      n > 65535) {
    return std::nullopt;
  }
  return std::make_pair(std::string(host), static_cast<uint16_t>(n));
}

namespace {
bool Trusted(const IpAddress& ip, const std::vector<Cidr>& trusted) {
  for (const Cidr& c : trusted) {
    if (c.Contains(ip)) return true;
  }
  return false;
}
std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
}  // namespace

std::string ClientAddress(const std::string& peer, std::string_view xff,
                          const std::vector<Cidr>& trusted) {
  auto peer_ip = ParseIp(peer);
  if (!peer_ip) return peer;
  if (trusted.empty() || xff.empty() || !Trusted(*peer_ip, trusted)) return peer_ip->ToString();
  std::string current = peer_ip->ToString();
  while (!xff.empty()) {
    auto comma = xff.rfind(',');
    std::string_view entry = Trim(comma == std::string_view::npos ? xff : xff.substr(comma + 1));
    xff = comma == std::string_view::npos ? std::string_view() : xff.substr(0, comma);
    auto ip = ParseIp(entry);
    if (!ip) break;
    current = ip->ToString();
    if (!Trusted(*ip, trusted)) break;
  }
  return current;
}

}  // namespace keyward::serve
