#include "core/cose_key.h"

#include "core/cbor.h"
#include "core/cbor_writer.h"

namespace keyward {
namespace {

constexpr int64_t kLabelKty = 1;
constexpr int64_t kLabelAlg = 3;
constexpr int64_t kLabelCrvOrN = -1;  // EC2/OKP: crv; RSA: n
constexpr int64_t kLabelXOrE = -2;    // EC2/OKP: x; RSA: e
constexpr int64_t kLabelY = -3;       // EC2: y; RSA: d (private)

size_t FieldSize(CoseCurve crv) {
  switch (crv) {
    case CoseCurve::kP256:
      return 32;
    case CoseCurve::kP384:
      return 48;
    case CoseCurve::kP521:
      return 66;
    case CoseCurve::kEd25519:
      return 32;
    case CoseCurve::kEd448:
      return 57;
  }
  return 0;
}

Result<void> CheckAgreement(const CoseKey& k) {
  auto mismatch = [] { return Fail(ErrorCode::kKeyAlgorithmMismatch, "kty/crv/alg disagree"); };
  if (KeyTypeOf(k.alg) != k.kty) return mismatch();
  switch (k.alg) {
    case CoseAlgorithm::kES256:
    case CoseAlgorithm::kESP256:
      return k.crv == CoseCurve::kP256 ? Ok() : mismatch();
    case CoseAlgorithm::kES384:
    case CoseAlgorithm::kESP384:
      return k.crv == CoseCurve::kP384 ? Ok() : mismatch();
    case CoseAlgorithm::kES512:
    case CoseAlgorithm::kESP512:
      return k.crv == CoseCurve::kP521 ? Ok() : mismatch();
    case CoseAlgorithm::kEdDSA:
      return k.crv == CoseCurve::kEd25519 || k.crv == CoseCurve::kEd448 ? Ok() : mismatch();
    case CoseAlgorithm::kEd25519:
      return k.crv == CoseCurve::kEd25519 ? Ok() : mismatch();
    case CoseAlgorithm::kEd448:
      return k.crv == CoseCurve::kEd448 ? Ok() : mismatch();
    default:
      return Ok();  // RSA family: no curve
  }
}

size_t SignificantBits(ByteSpan big_endian) {
  size_t i = 0;
  while (i < big_endian.size() && big_endian[i] == 0) ++i;
  if (i == big_endian.size()) return 0;
  size_t bits = (big_endian.size() - i - 1) * 8;
  for (uint8_t b = big_endian[i]; b; b >>= 1) ++bits;
  return bits;
}

Result<Bytes> RequireBytes(const CborItem& map, int64_t label, const char* what) {
  CborItem v = map.Find(label);
  if (!v) return Fail(ErrorCode::kKeyMalformed, std::string("missing ") + what);
  auto b = v.GetBytes();
  if (!b) return Fail(ErrorCode::kKeyMalformed, std::string(what) + " is not a byte string");
  return ToBytes(*b);
}

}  // namespace

std::string_view CoseAlgorithmName(CoseAlgorithm alg) {
  switch (alg) {
    case CoseAlgorithm::kES256: return "ES256";
    case CoseAlgorithm::kEdDSA: return "EdDSA";
    case CoseAlgorithm::kESP256: return "ESP256";
    case CoseAlgorithm::kEd25519: return "Ed25519";
    case CoseAlgorithm::kES384: return "ES384";
    case CoseAlgorithm::kES512: return "ES512";
    case CoseAlgorithm::kPS256: return "PS256";
    case CoseAlgorithm::kPS384: return "PS384";
    case CoseAlgorithm::kPS512: return "PS512";
    case CoseAlgorithm::kESP384: return "ESP384";
    case CoseAlgorithm::kESP512: return "ESP512";
    case CoseAlgorithm::kEd448: return "Ed448";
    case CoseAlgorithm::kRS256: return "RS256";
    case CoseAlgorithm::kRS384: return "RS384";
    case CoseAlgorithm::kRS512: return "RS512";
    case CoseAlgorithm::kRS1: return "RS1";
  }
  return "unknown";
}

std::optional<CoseAlgorithm> CoseAlgorithmFromInt(int64_t v) {
  switch (v) {
    case -7: case -8: case -9: case -19: case -35: case -36: case -37: case -38: case -39:
    case -51: case -52: case -53: case -257: case -258: case -259: case -65535:
      return static_cast<CoseAlgorithm>(v);
    default:
      return std::nullopt;
  }
}

CoseKeyType KeyTypeOf(CoseAlgorithm alg) {
  switch (alg) {
    case CoseAlgorithm::kES256:
    case CoseAlgorithm::kESP256:
    case CoseAlgorithm::kES384:
    case CoseAlgorithm::kESP384:
    case CoseAlgorithm::kES512:
    case CoseAlgorithm::kESP512:
      return CoseKeyType::kEc2;
    case CoseAlgorithm::kEdDSA:
    case CoseAlgorithm::kEd25519:
    case CoseAlgorithm::kEd448:
      return CoseKeyType::kOkp;
    default:
      return CoseKeyType::kRsa;
  }
}

Result<CoseKey> CoseKey::Parse(ByteSpan cbor, size_t* consumed) {
  CborLimits limits;
  limits.max_depth = 4;
  limits.max_items = 64;
  limits.max_bytes = 4096;
  limits.allow_trailing = consumed != nullptr;
  auto decoded = DecodeCbor(cbor, limits);
  if (!decoded) {
    return Fail(ErrorCode::kKeyMalformed, "COSE_Key: " + decoded.error().ToString());
  }
  const CborItem& map = decoded->item;
  if (!map.IsMap()) return Fail(ErrorCode::kKeyMalformed, "COSE_Key is not a map");

  CoseKey key;
  auto kty = map.Find(kLabelKty).GetInt();
  if (!kty) return Fail(ErrorCode::kKeyMalformed, "COSE_Key: kty missing or not an integer");
  if (*kty != 1 && *kty != 2 && *kty != 3) {
    return Fail(ErrorCode::kUnsupportedKeyType, "COSE_Key: kty " + std::to_string(*kty));
  }
  key.kty = static_cast<CoseKeyType>(*kty);
  auto alg = map.Find(kLabelAlg).GetInt();
  if (!alg) return Fail(ErrorCode::kKeyMalformed, "COSE_Key: alg missing or not an integer");
  auto known = CoseAlgorithmFromInt(*alg);
  if (!known) return Fail(ErrorCode::kUnsupportedAlgorithm, "COSE alg " + std::to_string(*alg));
  key.alg = *known;

  if (key.kty == CoseKeyType::kRsa) {
    if (map.Find(kLabelY)) return Fail(ErrorCode::kKeyMalformed, "RSA private exponent present");
    KW_ASSIGN_OR_RETURN(key.n, RequireBytes(map, kLabelCrvOrN, "n"));
    KW_ASSIGN_OR_RETURN(key.e, RequireBytes(map, kLabelXOrE, "e"));
    size_t bits = SignificantBits(key.n);
    if (bits < 2048) {
      return Fail(ErrorCode::kRsaKeyTooSmall, "RSA modulus " + std::to_string(bits) + " bits");
    }
    if (bits > 16384) return Fail(ErrorCode::kKeyMalformed, "RSA modulus too large");
    size_t ebits = SignificantBits(key.e);
    if (ebits < 2 || ebits > 256 || (key.e.back() & 1) == 0) {
      return Fail(ErrorCode::kKeyMalformed, "RSA exponent invalid");
    }
  } else {
    auto crv = map.Find(kLabelCrvOrN).GetInt();
    if (!crv) return Fail(ErrorCode::kKeyMalformed, "COSE_Key: crv missing");
    if (*crv != 1 && *crv != 2 && *crv != 3 && *crv != 6 && *crv != 7) {
      return Fail(ErrorCode::kUnsupportedKeyType, "COSE crv " + std::to_string(*crv));
    }
    key.crv = static_cast<CoseCurve>(*crv);
    bool okp_curve = *key.crv == CoseCurve::kEd25519 || *key.crv == CoseCurve::kEd448;
    if (okp_curve != (key.kty == CoseKeyType::kOkp)) {
      return Fail(ErrorCode::kKeyAlgorithmMismatch, "curve does not belong to the key type");
    }
    if (map.Find(-4)) return Fail(ErrorCode::kKeyMalformed, "private key (d) present");
    KW_ASSIGN_OR_RETURN(key.x, RequireBytes(map, kLabelXOrE, "x"));
    size_t fs = FieldSize(*key.crv);
    if (key.x.size() != fs) return Fail(ErrorCode::kKeyMalformed, "x has the wrong length");
    if (key.kty == CoseKeyType::kEc2) {
      CborItem y = map.Find(kLabelY);
      if (y.IsBool()) return Fail(ErrorCode::kKeyMalformed, "compressed EC point");
      KW_ASSIGN_OR_RETURN(key.y, RequireBytes(map, kLabelY, "y"));
      if (key.y.size() != fs) return Fail(ErrorCode::kKeyMalformed, "y has the wrong length");
    } else if (map.Find(kLabelY)) {
      return Fail(ErrorCode::kKeyMalformed, "OKP key with a y coordinate");
    }
  }
  KW_TRY(CheckAgreement(key));
  if (consumed) *consumed = decoded->consumed;
  return key;
}

Bytes CoseKey::Encode() const {
  CborWriter w;
  if (kty == CoseKeyType::kRsa) {
    w.Map(4).Int(kLabelKty).Int(3).Int(kLabelAlg).Int(static_cast<int64_t>(alg));
    w.Int(kLabelCrvOrN).Bytes(n).Int(kLabelXOrE).Bytes(e);
  } else if (kty == CoseKeyType::kOkp) {
    w.Map(4).Int(kLabelKty).Int(1).Int(kLabelAlg).Int(static_cast<int64_t>(alg));
    w.Int(kLabelCrvOrN).Int(static_cast<int64_t>(*crv)).Int(kLabelXOrE).Bytes(x);
  } else {
    w.Map(5).Int(kLabelKty).Int(2).Int(kLabelAlg).Int(static_cast<int64_t>(alg));
    w.Int(kLabelCrvOrN).Int(static_cast<int64_t>(*crv)).Int(kLabelXOrE).Bytes(x).Int(kLabelY).Bytes(y);
  }
  return w.Take();
}

}  // namespace keyward
