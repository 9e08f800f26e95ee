#include "pcsc/atr.h"

#include <algorithm>

namespace keyward::pcsc {
namespace {
constexpr int kFiTable[16] = {372, 372, 558, 744, 1116, 1488, 1860, 0,
                              0,   512, 768, 1024, 1536, 2048, 0,   0};
constexpr int kDiTable[16] = {0, 1, 2, 4, 8, 16, 32, 64, 12, 20, 0, 0, 0, 0, 0, 0};

std::optional<uint8_t> Ta1(const Atr& atr) {
  if (atr.groups.empty()) return std::nullopt;
  return atr.groups[0].ta;
}
}  // namespace

int Atr::fi() const {
  auto ta = Ta1(*this);
  return ta ? kFiTable[*ta >> 4] : 372;
}

int Atr::di() const {
  auto ta = Ta1(*this);
  return ta ? kDiTable[*ta & 0x0f] : 1;
}

Result<Atr> Atr::Parse(ByteSpan bytes) {
  if (bytes.size() < 2) return Fail(ErrorCode::kAtrMalformed, "atr: shorter than TS T0");
  if (bytes.size() > 33) return Fail(ErrorCode::kAtrMalformed, "atr: longer than 33 bytes");
  Atr atr;
  atr.raw.assign(bytes.begin(), bytes.end());
  atr.ts = bytes[0];
  if (atr.ts != 0x3B && atr.ts != 0x3F) return Fail(ErrorCode::kAtrMalformed, "atr: TS not 3B/3F");
  atr.inverse_convention = atr.ts == 0x3F;
  ByteReader r(bytes.subspan(1));
  auto t0 = r.U8();
  atr.t0 = *t0;
  uint8_t y = atr.t0 >> 4;
  size_t k = atr.t0 & 0x0f;
  bool need_tck = false;
  int index = 1;
  int protocol = 0;
  while (true) {
    AtrInterfaceGroup g;
    g.index = index;
    g.protocol = protocol;
    auto read = [&](std::optional<uint8_t>& field) -> Result<void> {
      auto b = r.U8();
      if (!b) return Fail(ErrorCode::kAtrMalformed, "atr: truncated interface bytes");
      field = *b;
      return Ok();
    };
    if (y & 0x1) KW_TRY(read(g.ta));
    if (y & 0x2) KW_TRY(read(g.tb));
    if (y & 0x4) KW_TRY(read(g.tc));
    if (y & 0x8) KW_TRY(read(g.td));
    atr.groups.push_back(g);
    if (!g.td) break;
    protocol = *g.td & 0x0f;
    if (protocol != 0) need_tck = true;
    if (std::find(atr.protocols.begin(), atr.protocols.end(), protocol) == atr.protocols.end()) {
      atr.protocols.push_back(protocol);
    }
    y = *g.td >> 4;
    ++index;
  }
  if (atr.protocols.empty()) atr.protocols.push_back(0);
  auto hist = r.Take(k);
  if (!hist) return Fail(ErrorCode::kAtrMalformed, "atr: truncated historical bytes");
  atr.historical.assign(hist->begin(), hist->end());
  if (need_tck) {
    auto tck = r.U8();
    if (!tck) return Fail(ErrorCode::kAtrMalformed, "atr: TCK missing");
    atr.tck = *tck;
    uint8_t x = 0;
    for (size_t i = 1; i < bytes.size(); ++i) x ^= bytes[i];
    if (x != 0) return Fail(ErrorCode::kAtrChecksumInvalid, "atr: TCK does not check");
  }
  if (!r.empty()) return Fail(ErrorCode::kAtrMalformed, "atr: trailing bytes");
  return atr;
}

}  // namespace keyward::pcsc
