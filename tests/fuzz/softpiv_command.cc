// Fuzzes the software PIV card's command processor: the input is a sequence of command APDUs,
// each prefixed by one length byte, sent to one in-memory card (so chaining, GET RESPONSE,
// PIN counters and management-key state carry over between commands).
#include <cstddef>
#include <cstdint>

#include "tools/softpiv/soft_piv_card.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto fresh = keyward::softpiv::CardState::Fresh();
  if (!fresh) return 0;
  keyward::softpiv::CardState state;
  state.objects = fresh->objects;
  state.mgmt_key = keyward::SecretBytes(fresh->mgmt_key.reveal());
  auto card = keyward::softpiv::SoftPivCard::InMemory(std::move(state));
  size_t pos = 0;
  while (pos < size) {
    size_t n = data[pos++];
    if (n > size - pos) n = size - pos;
    auto r = card.Process(keyward::ByteSpan(data + pos, n));
    if (!r || r->size() < 2) __builtin_trap();
    pos += n;
  }
  return 0;
}
