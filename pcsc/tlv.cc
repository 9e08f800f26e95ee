#include "pcsc/tlv.h"

namespace keyward::pcsc {
namespace {
// Every structural problem is one error code, whatever the reader said.
#define KW_TLV_READ(lhs, expr)                                                \
  auto KW_CONCAT_(tlv_, __LINE__) = (expr);                                   \
  if (!KW_CONCAT_(tlv_, __LINE__)) {                                          \
    return Fail(ErrorCode::kPivObjectMalformed, "tlv: truncated tag/length"); \
  }                                                                           \
  lhs = *KW_CONCAT_(tlv_, __LINE__)
}  // namespace

Result<std::vector<Tlv>> ParseTlvs(ByteSpan data) {
  std::vector<Tlv> out;
  ByteReader r(data);
  while (!r.empty()) {
    KW_TLV_READ(uint8_t first, r.U8());
    uint32_t tag = first;
    if ((first & 0x1f) == 0x1f) {  // multi-byte tag
      for (int i = 0;; ++i) {
        if (i == 2) return Fail(ErrorCode::kPivObjectMalformed, "tlv: tag longer than 3 bytes");
        KW_TLV_READ(uint8_t b, r.U8());
        tag = (tag << 8) | b;
        if (!(b & 0x80)) break;
      }
    }
    KW_TLV_READ(uint8_t l0, r.U8());
    size_t len = l0;
    if (l0 & 0x80) {
      size_t n = l0 & 0x7f;
      if (n == 0 || n > 3) return Fail(ErrorCode::kPivObjectMalformed, "tlv: bad length form");
      len = 0;
      for (size_t i = 0; i < n; ++i) {
        KW_TLV_READ(uint8_t b, r.U8());
        len = (len << 8) | b;
      }
    }
    auto value = r.Take(len);
    if (!value) return Fail(ErrorCode::kPivObjectMalformed, "tlv: value runs past the end");
    out.push_back({tag, *value});
  }
  return out;
}

Result<Tlv> ParseSingleTlv(ByteSpan data) {
  KW_ASSIGN_OR_RETURN(auto tlvs, ParseTlvs(data));
  if (tlvs.size() != 1) return Fail(ErrorCode::kPivObjectMalformed, "tlv: expected one object");
  return tlvs[0];
}

std::optional<ByteSpan> FindTlv(const std::vector<Tlv>& tlvs, uint32_t tag) {
  for (const Tlv& t : tlvs) {
    if (t.tag == tag) return t.value;
  }
  return std::nullopt;
}

void AppendLength(Bytes& out, size_t length) {
  if (length < 0x80) {
    out.push_back(static_cast<uint8_t>(length));
  } else if (length <= 0xff) {
    out.push_back(0x81);
    out.push_back(static_cast<uint8_t>(length));
  } else if (length <= 0xffff) {
    out.push_back(0x82);
    out.push_back(static_cast<uint8_t>(length >> 8));
    out.push_back(static_cast<uint8_t>(length));
  } else {
    out.push_back(0x83);
    out.push_back(static_cast<uint8_t>(length >> 16));
    out.push_back(static_cast<uint8_t>(length >> 8));
    out.push_back(static_cast<uint8_t>(length));
  }
}

void AppendTlv(Bytes& out, uint32_t tag, ByteSpan value) {
  if (tag > 0xffff) out.push_back(static_cast<uint8_t>(tag >> 16));
  if (tag > 0xff) out.push_back(static_cast<uint8_t>(tag >> 8));
  out.push_back(static_cast<uint8_t>(tag));
  AppendLength(out, value.size());
  out.insert(out.end(), value.begin(), value.end());
}

Bytes EncodeTlv(uint32_t tag, ByteSpan value) {
  Bytes out;
  AppendTlv(out, tag, value);
  return out;
}

}  // namespace keyward::pcsc
