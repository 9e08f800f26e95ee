// Address helpers for the serve area: listen addresses, trusted-proxy CIDRs, and the client
// address behind X-Forwarded-For (honoured only when the peer is a configured proxy).
#ifndef KEYWARD_SERVE_NET_UTIL_H_
#define KEYWARD_SERVE_NET_UTIL_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace keyward::serve {

// An IPv4 address is stored as IPv4-mapped IPv6 (::ffff:a.b.c.d), so one CIDR type covers both.
struct IpAddress {
  std::array<uint8_t, 16> bytes{};
  bool v4 = false;
  std::string ToString() const;
};
std::optional<IpAddress> ParseIp(std::string_view text);

struct Cidr {
  IpAddress base;
  int prefix = 128;  // in IPv6 bits (an IPv4 /24 is stored as /120)
  bool Contains(const IpAddress& ip) const;
};
// "10.0.0.0/8", "::1", "192.0.2.7" (a single address is a /32 or /128).
std::optional<Cidr> ParseCidr(std::string_view text);

// "HOST:PORT" or "[V6]:PORT" → (host without brackets, port).
std::optional<std::pair<std::string, uint16_t>> SplitHostPort(std::string_view text);

// The client address: the peer itself unless it is a trusted proxy; then the right-most entry of
// X-Forwarded-For that is not itself a trusted proxy (entries a client wrote are to its left and
// are never believed). A malformed entry stops the walk at the last good address.
std::string ClientAddress(const std::string& peer, std::string_view x_forwarded_for,
                          const std::vector<Cidr>& trusted);

}  // namespace keyward::serve

#endif  // KEYWARD_SERVE_NET_UTIL_H_
