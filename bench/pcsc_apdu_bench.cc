// APDU exchange cost: keyward's Transceive (encode, 61xx/6Cxx handling, response parse) against
// the floor of the same bytes without it.
//
//  in-memory: Transceive over the software PIV card's command processor vs calling the processor
//             with pre-encoded bytes (what the card itself costs).
//  pcscd:     (only when a card is in "Virtual PCD 00 00", e.g. under
//             `scripts/with-pcscd --softpiv STATE build/bin/bench_pcsc_apdu`)
//             Card + Transceive of GET DATA (CHUID) vs SCardTransmit of the pre-encoded APDU on a
//             handle connected once — the round trip through pcscd and vpcd every client pays.
#include <PCSC/winscard.h>
#include <benchmark/benchmark.h>

#include "bench/bench_report.h"
#include "keyward/pcsc.h"
#include "tools/softpiv/soft_piv_card.h"

namespace keyward {
namespace {

using pcsc::CommandApdu;

const CommandApdu kGetChuid{0x00, 0xCB, 0x3F, 0xFF, {0x5C, 0x03, 0x5F, 0xC1, 0x02}, 256};

class InMemoryChannel : public pcsc::ApduChannel {
 public:
  explicit InMemoryChannel(softpiv::SoftPivCard& c) : card_(c) {}
  Result<Bytes> TransmitRaw(ByteSpan command) override { return *card_.Process(command); }

 private:
  softpiv::SoftPivCard& card_;
};

softpiv::SoftPivCard& Card() {
  static softpiv::SoftPivCard card = softpiv::SoftPivCard::InMemory(*softpiv::CardState::Fresh());
  return card;
}

void BM_InMemoryTransceive(benchmark::State& state) {
  InMemoryChannel ch(Card());
  for (auto _ : state) {
    auto r = pcsc::Transceive(ch, kGetChuid);
    if (!r || !r->sw.ok()) state.SkipWithError("GET DATA failed");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_InMemoryTransceive);

void BM_InMemoryFloor(benchmark::State& state) {
  Bytes wire = *kGetChuid.Encode(pcsc::LengthForm::kShort);
  for (auto _ : state) {
    auto r = Card().Process(wire);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_InMemoryFloor);

struct Pcscd {
  std::shared_ptr<pcsc::Context> ctx;
  std::unique_ptr<pcsc::Card> card;
  SCARDCONTEXT raw_ctx = 0;
  SCARDHANDLE raw = 0;
  DWORD proto = 0;
  bool ok = false;
  Pcscd() {
    auto c = pcsc::Context::Establish();
    if (!c) return;
    ctx = *c;
    auto k = pcsc::Card::Connect(ctx, "Virtual PCD 00 00");
    if (!k) return;
    card = std::move(k).value();
    if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &raw_ctx) != SCARD_S_SUCCESS ||
        SCardConnect(raw_ctx, "Virtual PCD 00 00", SCARD_SHARE_SHARED,
                     SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &raw, &proto) != SCARD_S_SUCCESS) {
      return;
    }
    ok = true;
  }
};

Pcscd& GetPcscd() {
  static Pcscd p;
  return p;
}

void BM_PcscdTransceive(benchmark::State& state) {
  Pcscd& p = GetPcscd();
  if (!p.ok) {
    state.SkipWithError("no card in Virtual PCD 00 00 (run under scripts/with-pcscd --softpiv)");
    return;
  }
  for (auto _ : state) {
    auto r = pcsc::Transceive(*p.card, kGetChuid);
    if (!r || !r->sw.ok()) state.SkipWithError("GET DATA failed");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_PcscdTransceive)->UseRealTime();

void BM_PcscdRawFloor(benchmark::State& state) {
  Pcscd& p = GetPcscd();
  if (!p.ok) {
    state.SkipWithError("no card in Virtual PCD 00 00 (run under scripts/with-pcscd --softpiv)");
    return;
  }
  Bytes wire = *kGetChuid.Encode(pcsc::LengthForm::kShort);
  BYTE buf[300];
  for (auto _ : state) {
    DWORD len = sizeof(buf);
    LONG rv = SCardTransmit(p.raw, p.proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1,
                            wire.data(), static_cast<DWORD>(wire.size()), nullptr, buf, &len);
    if (rv != SCARD_S_SUCCESS) state.SkipWithError("SCardTransmit failed");
  }
}
BENCHMARK(BM_PcscdRawFloor)->UseRealTime();

}  // namespace
}  // namespace keyward

int main(int argc, char** argv) {
  keyward::bench::Compare("APDU GET DATA in memory", "BM_InMemoryTransceive", "BM_InMemoryFloor",
                          2.5);  // ~0.25 µs absolute: copies, encode, parse
  keyward::bench::Compare("APDU GET DATA via pcscd+vpcd", "BM_PcscdTransceive", "BM_PcscdRawFloor",
                          1.1);
  return keyward::bench::RunAndReport(argc, argv);
}
