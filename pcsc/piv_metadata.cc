#include "pcsc/piv_metadata.h"

#include <array>
#include <string>

#include "pcsc/tlv.h"

namespace keyward::pcsc::piv {

Result<KeyMetadata> KeyMetadata::Parse(ByteSpan response) {
  auto tlvs = ParseTlvs(response);
  if (!tlvs) return Fail(ErrorCode::kPivObjectMalformed, "metadata: " + tlvs.error().detail);
  KeyMetadata m;
  for (const Tlv& t : *tlvs) {
    switch (t.tag) {
      case 0x01:
        if (t.value.size() != 1) return Fail(ErrorCode::kPivObjectMalformed, "metadata: 01");
        m.algorithm_id = t.value[0];
        m.algorithm = AlgorithmFromByte(t.value[0]);
        break;
      case 0x02:
        if (t.value.empty() || t.value.size() > 2) {
          return Fail(ErrorCode::kPivObjectMalformed, "metadata: 02");
        }
        m.pin_policy = t.value[0];
        if (t.value.size() == 2) m.touch_policy = t.value[1];
        break;
      case 0x03:
        if (t.value.size() != 1) return Fail(ErrorCode::kPivObjectMalformed, "metadata: 03");
        m.origin = t.value[0];
        break;
      case 0x05:
        if (t.value.size() != 1) return Fail(ErrorCode::kPivObjectMalformed, "metadata: 05");
        m.is_default = t.value[0] != 0;
        break;
      case 0x06:
        if (t.value.size() != 2) return Fail(ErrorCode::kPivObjectMalformed, "metadata: 06");
        m.retries_total = t.value[0];
        m.retries_left = t.value[1];
        break;
      default:
        break;
    }
  }
  if (auto pk = FindTlv(*tlvs, 0x04)) {
    if (!m.algorithm || IsSymmetric(*m.algorithm)) {
      return Fail(ErrorCode::kPivObjectMalformed, "metadata: public key without key algorithm");
    }
    KW_ASSIGN_OR_RETURN(PivPublicKey key,
                        PivPublicKey::Parse(*m.algorithm, EncodeTlv(0x7F49, *pk)));
    m.public_key = std::move(key);
  }
  return m;
}

Bytes KeyMetadata::Encode() const {
  Bytes out;
  if (algorithm_id != 0) AppendTlv(out, 0x01, ByteSpan(&algorithm_id, 1));
  if (pin_policy) {
    uint8_t p[2] = {*pin_policy, touch_policy.value_or(0)};
    AppendTlv(out, 0x02, ByteSpan(p, touch_policy ? 2 : 1));
  }
  if (origin) AppendTlv(out, 0x03, ByteSpan(&*origin, 1));
  if (public_key) {
    const Bytes encoded = public_key->Encode();
    auto t = ParseSingleTlv(encoded);
    if (t) AppendTlv(out, 0x04, t->value);
  }
  if (is_default) {
    const uint8_t d = *is_default ? 1 : 0;
    AppendTlv(out, 0x05, ByteSpan(&d, 1));
  }
  if (retries_total >= 0 && retries_left >= 0) {
    uint8_t r[2] = {static_cast<uint8_t>(retries_total), static_cast<uint8_t>(retries_left)};
    AppendTlv(out, 0x06, r);
  }
  return out;
}

namespace {

// Yubico's PIV extension numbers both policies 0-3 (0 = the key's default).
std::string PolicyName(uint8_t v, const std::array<const char*, 4>& names) {
  if (v < names.size()) return names[v];
  return "unknown(" + std::to_string(v) + ")";
}

}  // namespace

std::string PinPolicyName(uint8_t p) {
  return PolicyName(p, {"default", "never", "once", "always"});
}

std::string TouchPolicyName(uint8_t p) {
  return PolicyName(p, {"default", "never", "always", "cached"});
}

std::string OriginName(uint8_t o) {
  switch (o) {
    case kMetadataOriginGenerated:
      return "generated";
    case kMetadataOriginImported:
      return "imported";
    default:
      return "unknown(" + std::to_string(o) + ")";
  }
}

}  // namespace keyward::pcsc::piv
