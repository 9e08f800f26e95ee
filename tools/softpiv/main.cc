// keyward-softpiv: a software PIV card on pcscd's vpcd reader driver.
//
//   keyward-softpiv --state FILE [--port 35963] [--host 127.0.0.1] [--once]
//                   [--test-remove-during-sign] [--test-remove-at INS[:N]]
//
// Test hooks (the card "is pulled": it closes the socket without answering and exits):
// --test-remove-at INS[:N] at the N-th (default first) command APDU whose INS byte is INS (hex,
// e.g. DB for PUT DATA, 47 for GENERATE); --test-remove-during-sign at the first signing GENERAL
// AUTHENTICATE (management-key authentication, also INS 87, does not count).
// --test-no-vendor-extensions: GET METADATA and SET MANAGEMENT KEY answer 6D00 (a plain card).
//
// The state file is created with defaults (PIN 123456, PUK 12345678, 3DES management key
// 010203040506070801020304050607080102030405060708) when it does not exist. SIGTERM/SIGINT stop
// the card (= card removal). --once: do not reconnect when vpcd closes the connection.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tools/softpiv/vpcd_link.h"

namespace {
std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

int Usage() {
  std::fputs(
      "usage: keyward-softpiv --state FILE [--port N] [--host ADDR] [--once] "
      "[--test-remove-during-sign] [--test-remove-at INS[:N]] "
      "[--test-no-vendor-extensions]\n",
      stderr);
  return 2;
}
}  // namespace

int main(int argc, char** argv) {
  keyward::softpiv::SoftPivOptions card_options;
  keyward::softpiv::VpcdOptions link;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    if (a == "--state") {
      const char* v = next();
      if (!v) return Usage();
      card_options.state_path = v;
    } else if (a == "--port") {
      const char* v = next();
      if (!v) return Usage();
      int p = std::atoi(v);
      if (p <= 0 || p > 65535) return Usage();
      link.port = static_cast<uint16_t>(p);
    } else if (a == "--host") {
      const char* v = next();
      if (!v) return Usage();
      link.host = v;
    } else if (a == "--once") {
      link.reconnect = false;
    } else if (a == "--test-remove-during-sign") {
      card_options.remove_during_sign = true;
    } else if (a == "--test-no-vendor-extensions") {
      card_options.no_vendor_extensions = true;
    } else if (a == "--test-remove-at") {
      const char* v = next();
      if (!v) return Usage();
      std::string spec = v;
      std::string ins = spec.substr(0, spec.find(':'));
      char* end = nullptr;
      unsigned long b = std::strtoul(ins.c_str(), &end, 16);
      if (ins.empty() || ins.size() > 2 || *end != '\0' || b > 0xFF) return Usage();
      card_options.remove_at_ins = static_cast<uint8_t>(b);
      if (auto colon = spec.find(':'); colon != std::string::npos) {
        std::string n = spec.substr(colon + 1);
        long count = std::strtol(n.c_str(), &end, 10);
        if (n.empty() || *end != '\0' || count < 1 || count > 1000000) return Usage();
        card_options.remove_at_count = static_cast<int>(count);
      }
    } else {
      return Usage();
    }
  }
  if (card_options.state_path.empty()) return Usage();
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  auto card = keyward::softpiv::SoftPivCard::Open(card_options);
  if (!card) {
    std::fprintf(stderr, "keyward-softpiv: %s\n", card.error().ToString().c_str());
    return 1;
  }
  auto r = keyward::softpiv::ServeVpcd(*card, link, g_stop);
  if (!r) {
    std::fprintf(stderr, "keyward-softpiv: %s\n", r.error().ToString().c_str());
    return 1;
  }
  return 0;
}
