// Fuzzes the ATR parser (ISO 7816-3 §8.2).
#include "pcsc/atr.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto atr = keyward::pcsc::Atr::Parse(keyward::ByteSpan(data, size));
  if (atr) {
    (void)atr->fi();
    (void)atr->di();
    if (atr->raw.size() != size || atr->groups.empty()) __builtin_trap();
  }
  return 0;
}
