#include "pcsc/piv_objects.h"

#include <zlib.h>

#include <cstdio>

#include "core/hash.h"
#include "pcsc/piv_types.h"
#include "pcsc/tlv.h"

namespace keyward::pcsc::piv {

Result<Bytes> UnwrapDataObject(ByteSpan object, uint32_t tag) {
  auto t = ParseSingleTlv(object);
  if (!t || t->tag != tag) {
    return Fail(ErrorCode::kPivObjectMalformed, "data object is not a single expected TLV");
  }
  return ToBytes(t->value);
}

Bytes WrapDataObject(ByteSpan contents, uint32_t tag) { return EncodeTlv(tag, contents); }

Result<Chuid> Chuid::Parse(ByteSpan contents) {
  auto tlvs = ParseTlvs(contents);
  if (!tlvs) return Fail(ErrorCode::kPivObjectMalformed, "CHUID: " + tlvs.error().detail);
  Chuid c;
  for (const Tlv& t : *tlvs) {
    switch (t.tag) {
      case 0x30:
        c.fasc_n = ToBytes(t.value);
        break;
      case 0x32:
        c.organization_id = ToBytes(t.value);
        break;
      case 0x33:
        c.duns = ToBytes(t.value);
        break;
      case 0x34:
        c.guid = ToBytes(t.value);
        break;
      case 0x35:
        c.expiration = std::string(AsChars(t.value));
        break;
      case 0x36:
        c.cardholder_uuid = ToBytes(t.value);
        break;
      case 0x3E:
        c.signature = ToBytes(t.value);
        break;
      default:
        break;  // buffer length (EE), authentication key map (3D), FE, ...
    }
  }
  if (c.fasc_n.empty() || c.guid.size() != 16) {
    return Fail(ErrorCode::kPivObjectMalformed, "CHUID without FASC-N or 16-byte GUID");
  }
  return c;
}

Bytes Chuid::Encode() const {
  Bytes out;
  AppendTlv(out, 0x30, fasc_n);
  if (!organization_id.empty()) AppendTlv(out, 0x32, organization_id);
  if (!duns.empty()) AppendTlv(out, 0x33, duns);
  AppendTlv(out, 0x34, guid);
  AppendTlv(out, 0x35, AsBytes(expiration));
  if (!cardholder_uuid.empty()) AppendTlv(out, 0x36, cardholder_uuid);
  AppendTlv(out, 0x3E, signature);
  AppendTlv(out, 0xFE, {});
  return out;
}

Chuid Chuid::ForTestCard(ByteSpan guid, std::string expiration) {
  // FASC-N with agency code 9999, system 9999, credential 999999 (BCD with odd parity).
  static constexpr uint8_t kFascN[25] = {0xD4, 0xE7, 0x39, 0xDA, 0x73, 0x9C, 0xED, 0x39, 0xCE,
                                         0x73, 0x9D, 0x83, 0x68, 0x58, 0x21, 0x08, 0x42, 0x10,
                                         0x84, 0x21, 0xC8, 0x42, 0x10, 0xC3, 0xEB};
  Chuid c;
  c.fasc_n.assign(kFascN, kFascN + sizeof(kFascN));
  c.guid = ToBytes(guid);
  c.expiration = std::move(expiration);
  return c;
}

Result<Chuid> Chuid::Fresh(std::string expiration) {
  if (expiration.size() != 8 || expiration.find_first_not_of("0123456789") != std::string::npos) {
    return Fail(ErrorCode::kInvalidArgument, "CHUID expiration must be YYYYMMDD");
  }
  KW_ASSIGN_OR_RETURN(Bytes guid, RandomBytes(16));
  return ForTestCard(guid, std::move(expiration));
}

std::string ChuidExpiration(std::chrono::system_clock::time_point from, int years) {
  using namespace std::chrono;
  year_month_day ymd{floor<days>(from)};
  year_month_day target = ymd + std::chrono::years(years);
  if (!target.ok()) target = target.year() / target.month() / last;
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04d%02u%02u", static_cast<int>(target.year()),
                static_cast<unsigned>(target.month()), static_cast<unsigned>(target.day()));
  return buf;
}

Result<CardCapabilityContainer> CardCapabilityContainer::Parse(ByteSpan contents) {
  auto tlvs = ParseTlvs(contents);
  if (!tlvs) return Fail(ErrorCode::kPivObjectMalformed, "CCC: " + tlvs.error().detail);
  auto id = FindTlv(*tlvs, 0xF0);
  if (!id || id->size() != 21) {
    return Fail(ErrorCode::kPivObjectMalformed, "CCC without a 21-byte card identifier (F0)");
  }
  CardCapabilityContainer c;
  c.card_identifier = ToBytes(*id);
  auto one = [&](uint32_t tag, uint8_t& out) {
    auto v = FindTlv(*tlvs, tag);
    if (v && v->size() == 1) out = (*v)[0];
  };
  one(0xF1, c.container_version);
  one(0xF2, c.grammar_version);
  one(0xF4, c.pkcs15);
  one(0xF5, c.data_model);
  return c;
}

Bytes CardCapabilityContainer::Encode() const {
  Bytes out;
  AppendTlv(out, 0xF0, card_identifier);
  AppendTlv(out, 0xF1, ByteSpan(&container_version, 1));
  AppendTlv(out, 0xF2, ByteSpan(&grammar_version, 1));
  AppendTlv(out, 0xF3, {});
  AppendTlv(out, 0xF4, ByteSpan(&pkcs15, 1));
  AppendTlv(out, 0xF5, ByteSpan(&data_model, 1));
  for (uint32_t empty : {0xF6u, 0xF7u, 0xFAu, 0xFBu, 0xFCu, 0xFDu, 0xFEu}) {
    AppendTlv(out, empty, {});
  }
  return out;
}

Result<CardCapabilityContainer> CardCapabilityContainer::Fresh() {
  CardCapabilityContainer c;
  c.card_identifier = {0xA0, 0x00, 0x00, 0x01, 0x16, 0xFF, 0x02};
  KW_ASSIGN_OR_RETURN(Bytes id, RandomBytes(14));
  c.card_identifier.insert(c.card_identifier.end(), id.begin(), id.end());
  return c;
}

Result<CertificateObject> CertificateObject::Parse(ByteSpan contents) {
  auto tlvs = ParseTlvs(contents);
  if (!tlvs)
    return Fail(ErrorCode::kPivObjectMalformed, "certificate object: " + tlvs.error().detail);
  auto cert = FindTlv(*tlvs, 0x70);
  if (!cert || cert->empty()) {
    return Fail(ErrorCode::kPivObjectMalformed, "certificate object without certificate (70)");
  }
  CertificateObject o;
  auto info = FindTlv(*tlvs, 0x71);
  if (info && !info->empty() && ((*info)[0] & 0x01)) {
    o.compressed = true;
    KW_ASSIGN_OR_RETURN(o.der, Gunzip(*cert, kMaxCertificateSize));
  } else {
    o.der = ToBytes(*cert);
  }
  return o;
}

Result<Bytes> CertificateObject::Encode(ByteSpan der, bool compress) {
  Bytes out;
  if (compress) {
    KW_ASSIGN_OR_RETURN(Bytes gz, Gzip(der));
    AppendTlv(out, 0x70, gz);
    const uint8_t info = 0x01;
    AppendTlv(out, 0x71, ByteSpan(&info, 1));
  } else {
    AppendTlv(out, 0x70, der);
    const uint8_t info = 0x00;
    AppendTlv(out, 0x71, ByteSpan(&info, 1));
  }
  AppendTlv(out, 0xFE, {});
  return out;
}

Result<Discovery> Discovery::Parse(ByteSpan contents) {
  auto tlvs = ParseTlvs(contents);
  if (!tlvs) return Fail(ErrorCode::kPivObjectMalformed, "discovery: " + tlvs.error().detail);
  auto aid = FindTlv(*tlvs, 0x4F);
  if (!aid) return Fail(ErrorCode::kPivObjectMalformed, "discovery object without AID");
  Discovery d;
  d.aid = ToBytes(*aid);
  auto policy = FindTlv(*tlvs, 0x5F2F);
  if (policy && policy->size() >= 2) {
    d.pin_usage_policy = static_cast<uint16_t>((*policy)[0] << 8 | (*policy)[1]);
  } else if (policy && policy->size() == 1) {
    d.pin_usage_policy = static_cast<uint16_t>((*policy)[0] << 8);
  }
  return d;
}

Bytes Discovery::EncodeDefault() {
  Bytes out;
  AppendTlv(out, 0x4F, kPivAid);
  const uint8_t policy[2] = {0x40, 0x00};
  AppendTlv(out, 0x5F2F, policy);
  return out;
}

Result<Bytes> Gunzip(ByteSpan gz, size_t max_out) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
    return Fail(ErrorCode::kInternal, "inflateInit2 failed");
  }
  Bytes out(std::min<size_t>(max_out, 4096));
  zs.next_in = const_cast<Bytef*>(gz.data());
  zs.avail_in = static_cast<uInt>(gz.size());
  size_t produced = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (produced == out.size()) {
      if (out.size() >= max_out) {
        inflateEnd(&zs);
        return Fail(ErrorCode::kPivObjectMalformed, "compressed certificate too large");
      }
      out.resize(std::min(max_out, out.size() * 2));
    }
    zs.next_out = out.data() + produced;
    zs.avail_out = static_cast<uInt>(out.size() - produced);
    rc = inflate(&zs, Z_NO_FLUSH);
    produced = out.size() - zs.avail_out;
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return Fail(ErrorCode::kPivObjectMalformed, "compressed certificate does not inflate");
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      return Fail(ErrorCode::kPivObjectMalformed, "compressed certificate truncated");
    }
  }
  inflateEnd(&zs);
  out.resize(produced);
  return out;
}

Result<Bytes> Gzip(ByteSpan data) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return Fail(ErrorCode::kInternal, "deflateInit2 failed");
  }
  Bytes out(deflateBound(&zs, static_cast<uLong>(data.size())) + 32);
  zs.next_in = const_cast<Bytef*>(data.data());
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return Fail(ErrorCode::kInternal, "deflate failed");
  out.resize(zs.total_out);
  return out;
}

}  // namespace keyward::pcsc::piv
