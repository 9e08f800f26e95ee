#include "pcsc/apdu.h"

#include <algorithm>

namespace keyward::pcsc {

Result<Bytes> CommandApdu::Encode(LengthForm form) const {
  if (data.size() > kExtendedMaxData) return Fail(ErrorCode::kApduTooLong, "command data > 65535");
  if (le > kExtendedMaxLe) return Fail(ErrorCode::kApduTooLong, "Le > 65536");
  bool fits_short = data.size() <= kShortMaxData && le <= kShortMaxLe;
  if (form == LengthForm::kShort && !fits_short) {
    return Fail(ErrorCode::kApduTooLong, "command does not fit a short APDU");
  }
  Bytes out = {cla, ins, p1, p2};
  if (fits_short) {
    if (!data.empty()) {
      out.push_back(static_cast<uint8_t>(data.size()));
      out.insert(out.end(), data.begin(), data.end());
    }
    if (le > 0) out.push_back(static_cast<uint8_t>(le == 256 ? 0 : le));
    return out;
  }
  // Extended: Lc = 00 hi lo; Le = (00 if no Lc) hi lo, 0000 meaning 65536.
  if (!data.empty()) {
    out.push_back(0);
    out.push_back(static_cast<uint8_t>(data.size() >> 8));
    out.push_back(static_cast<uint8_t>(data.size()));
    out.insert(out.end(), data.begin(), data.end());
  }
  if (le > 0) {
    if (data.empty()) out.push_back(0);
    size_t v = le == kExtendedMaxLe ? 0 : le;
    out.push_back(static_cast<uint8_t>(v >> 8));
    out.push_back(static_cast<uint8_t>(v));
  }
  return out;
}

Result<CommandApdu> CommandApdu::Parse(ByteSpan wire, bool* extended) {
  if (extended) *extended = false;
  if (wire.size() < 4) return Fail(ErrorCode::kApduMalformed, "command shorter than 4 bytes");
  CommandApdu c;
  c.cla = wire[0];
  c.ins = wire[1];
  c.p1 = wire[2];
  c.p2 = wire[3];
  ByteSpan body = wire.subspan(4);
  if (body.empty()) return c;  // case 1
  if (body.size() == 1) {      // case 2S
    c.le = body[0] == 0 ? 256 : body[0];
    return c;
  }
  if (body[0] != 0) {  // short Lc
    size_t lc = body[0];
    if (body.size() == 1 + lc) {  // case 3S
      c.data.assign(body.begin() + 1, body.end());
      return c;
    }
    if (body.size() == 2 + lc) {  // case 4S
      c.data.assign(body.begin() + 1, body.begin() + 1 + static_cast<ptrdiff_t>(lc));
      c.le = body.back() == 0 ? 256 : body.back();
      return c;
    }
    return Fail(ErrorCode::kApduMalformed, "short Lc inconsistent with length");
  }
  // body[0] == 0 and more than one byte: extended.
  if (extended) *extended = true;
  if (body.size() == 3) {  // case 2E
    size_t le = (size_t{body[1]} << 8) | body[2];
    c.le = le == 0 ? kExtendedMaxLe : le;
    return c;
  }
  size_t lc = (size_t{body[1]} << 8) | body[2];
  if (lc == 0) return Fail(ErrorCode::kApduMalformed, "extended Lc of zero");
  if (body.size() == 3 + lc) {  // case 3E
    c.data.assign(body.begin() + 3, body.end());
    return c;
  }
  if (body.size() == 5 + lc) {  // case 4E
    c.data.assign(body.begin() + 3, body.begin() + 3 + static_cast<ptrdiff_t>(lc));
    size_t le = (size_t{body[3 + lc]} << 8) | body[4 + lc];
    c.le = le == 0 ? kExtendedMaxLe : le;
    return c;
  }
  return Fail(ErrorCode::kApduMalformed, "extended Lc inconsistent with length");
}

std::vector<CommandApdu> CommandApdu::Chain(size_t chunk) const {
  if (chunk == 0) chunk = kShortMaxData;
  if (data.size() <= chunk) return {*this};
  std::vector<CommandApdu> out;
  for (size_t off = 0; off < data.size(); off += chunk) {
    size_t n = std::min(chunk, data.size() - off);
    CommandApdu part{cla, ins, p1, p2, Bytes(data.begin() + static_cast<ptrdiff_t>(off),
                                             data.begin() + static_cast<ptrdiff_t>(off + n)),
                     0};
    bool last = off + n == data.size();
    if (!last) {
      part.cla |= kClaChaining;
    } else {
      part.le = le;
    }
    out.push_back(std::move(part));
  }
  return out;
}

Result<ResponseApdu> ResponseApdu::Parse(ByteSpan wire) {
  if (wire.size() < 2) return Fail(ErrorCode::kApduMalformed, "response shorter than SW1 SW2");
  ResponseApdu r;
  r.data.assign(wire.begin(), wire.end() - 2);
  r.sw = StatusWord(wire[wire.size() - 2], wire[wire.size() - 1]);
  return r;
}

Bytes ResponseApdu::Encode() const {
  Bytes out = data;
  out.push_back(sw.sw1());
  out.push_back(sw.sw2());
  return out;
}

}  // namespace keyward::pcsc
