// The card side of vsmartcard's vpcd socket protocol (virtual smart-card reader driver for
// pcscd): the card connects over TCP to the reader; every message in both directions is a 2-byte
// big-endian length and a payload. A 1-byte message is control: 00 power off, 01 power on,
// 02 reset (no reply), 04 get ATR (reply: the ATR). Longer messages are command APDUs, answered
// with the response APDU. Closing the socket is card removal; connecting is insertion.
//
// TCP_NODELAY is set on connect and TCP_QUICKACK after every receive (vpcd writes length and
// payload separately; with delayed ACKs each APDU would cost ~40-200 ms).
#ifndef KEYWARD_TOOLS_SOFTPIV_VPCD_LINK_H_
#define KEYWARD_TOOLS_SOFTPIV_VPCD_LINK_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "tools/softpiv/soft_piv_card.h"

namespace keyward::softpiv {

struct VpcdOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 35963;
  // Reconnect after vpcd closed the connection (pcscd restarted); otherwise return.
  bool reconnect = true;
};

// Serves `card` on vpcd until `stop` becomes true (checked at least every 200 ms) or, with the
// card's remove-during-sign hook, until the card vanished. Returns Ok on a requested stop.
Result<void> ServeVpcd(SoftPivCard& card, const VpcdOptions& options, const std::atomic<bool>& stop);

}  // namespace keyward::softpiv

#endif  // KEYWARD_TOOLS_SOFTPIV_VPCD_LINK_H_
