#include "pcsc/piv_client.h"

#include <algorithm>

#include "pcsc/tlv.h"

namespace keyward::pcsc::piv {
namespace {

Bytes TagBytes(uint32_t tag) {
  Bytes t;
  if (tag > 0xffff) t.push_back(static_cast<uint8_t>(tag >> 16));
  if (tag > 0xff) t.push_back(static_cast<uint8_t>(tag >> 8));
  t.push_back(static_cast<uint8_t>(tag));
  return t;
}

Result<void> AppendPadded(Bytes& out, const SecretBytes& pin, ErrorCode invalid) {
  if (pin.size() < 6 || pin.size() > 8) return Fail(invalid, "PIN/PUK must be 6 to 8 bytes");
  auto p = pin.reveal();
  out.insert(out.end(), p.begin(), p.end());
  out.insert(out.end(), 8 - p.size(), 0xFF);
  return Ok();
}

void Wipe(Bytes& b) {
  if (!b.empty()) OPENSSL_cleanse(b.data(), b.size());
}

Error PukError(StatusWord sw, std::string what) {
  Error e = StatusWordError(sw, std::move(what));
  if (e.code == ErrorCode::kPinIncorrect) e.code = ErrorCode::kPukIncorrect;
  if (e.code == ErrorCode::kPinBlocked) e.code = ErrorCode::kPukBlocked;
  return e;
}

}  // namespace

int PivClient::RetriesLeft(const Error& e) {
  StatusWord sw(static_cast<uint16_t>(e.native));
  if ((e.native >> 16) == 0 && sw.counter()) return sw.counter_value();
  if (e.native == 0x6983) return 0;
  return -1;
}

Result<std::unique_ptr<PivClient>> PivClient::Open(std::shared_ptr<Context> context,
                                                   const std::string& reader,
                                                   ConnectOptions options) {
  KW_ASSIGN_OR_RETURN(auto card, Card::Connect(std::move(context), reader, options));
  return Attach(std::move(card));
}

Result<std::unique_ptr<PivClient>> PivClient::Attach(std::unique_ptr<Card> card) {
  std::unique_ptr<PivClient> c(new PivClient(std::move(card)));
  KW_TRY(c->Select());
  PivClient* self = c.get();
  c->card_->SetReinitializer([self]() -> Result<void> {
    KW_TRY(self->Select());
    return Ok();
  });
  return c;
}

Result<ResponseApdu> PivClient::Send(const CommandApdu& c) { return Transceive(*card_, c); }

Result<Bytes> PivClient::Select() {
  CommandApdu c{0x00, 0xA4, 0x04, 0x00, Bytes(kPivAidTruncated.begin(), kPivAidTruncated.end()),
                256};
  KW_ASSIGN_OR_RETURN(ResponseApdu r, Send(c));
  if (r.sw.value() == StatusWord::kFileNotFound) {
    return Fail(ErrorCode::kPivNotPresent, "the card has no PIV application", r.sw.value());
  }
  KW_TRY(CheckStatus(r.sw, "SELECT PIV"));
  return r.data;
}

Result<Bytes> PivClient::GetData(uint32_t tag) {
  Bytes data;
  AppendTlv(data, 0x5C, TagBytes(tag));
  KW_ASSIGN_OR_RETURN(ResponseApdu r, Send({0x00, 0xCB, 0x3F, 0xFF, data, 256}));
  KW_TRY(CheckStatus(r.sw, "GET DATA"));
  return UnwrapDataObject(r.data, tag == kTagDiscovery ? 0x7E : 0x53);
}

Result<void> PivClient::PutData(uint32_t tag, ByteSpan contents) {
  Bytes data;
  AppendTlv(data, 0x5C, TagBytes(tag));
  AppendTlv(data, 0x53, contents);
  KW_ASSIGN_OR_RETURN(auto tx, card_->BeginTransaction());
  KW_ASSIGN_OR_RETURN(ResponseApdu r, Send({0x00, 0xDB, 0x3F, 0xFF, data, 0}));
  return CheckStatus(r.sw, "PUT DATA");
}

Result<Chuid> PivClient::ReadChuid() {
  KW_ASSIGN_OR_RETURN(Bytes c, GetData(kTagChuid));
  return Chuid::Parse(c);
}

Result<Discovery> PivClient::ReadDiscovery() {
  KW_ASSIGN_OR_RETURN(Bytes c, GetData(kTagDiscovery));
  return Discovery::Parse(c);
}

Result<CertificateObject> PivClient::ReadCertificate(Slot slot) {
  uint32_t tag = CertificateTag(slot);
  if (tag == 0) return Fail(ErrorCode::kInvalidArgument, "slot has no certificate object");
  KW_ASSIGN_OR_RETURN(Bytes c, GetData(tag));
  return CertificateObject::Parse(c);
}

Result<void> PivClient::WriteChuid(const Chuid& chuid) {
  return PutData(kTagChuid, chuid.Encode());
}

Result<CardCapabilityContainer> PivClient::ReadCardCapabilityContainer() {
  KW_ASSIGN_OR_RETURN(Bytes c, GetData(kTagCardCapabilityContainer));
  return CardCapabilityContainer::Parse(c);
}

Result<void> PivClient::WriteCardCapabilityContainer(const CardCapabilityContainer& ccc) {
  if (ccc.card_identifier.size() != 21) {
    return Fail(ErrorCode::kInvalidArgument, "CCC card identifier must be 21 bytes");
  }
  return PutData(kTagCardCapabilityContainer, ccc.Encode());
}

Result<void> PivClient::WriteCertificate(Slot slot, ByteSpan der, bool compress) {
  uint32_t tag = CertificateTag(slot);
  if (tag == 0) return Fail(ErrorCode::kInvalidArgument, "slot has no certificate object");
  KW_ASSIGN_OR_RETURN(Bytes obj, CertificateObject::Encode(der, compress));
  return PutData(tag, obj);
}

Result<PinStatus> PivClient::GetPinStatus() {
  KW_ASSIGN_OR_RETURN(ResponseApdu r, Send({0x00, 0x20, 0x00, kPinReference, {}, 0}));
  PinStatus s;
  if (r.sw.ok()) {
    s.verified = true;
  } else if (r.sw.counter()) {
    s.retries_left = r.sw.counter_value();
    s.blocked = s.retries_left == 0;
  } else if (r.sw.value() == StatusWord::kAuthenticationMethodBlocked) {
    s.retries_left = 0;
    s.blocked = true;
  } else {
    return Fail(StatusWordError(r.sw, "VERIFY (status)"));
  }
  return s;
}

Result<void> PivClient::VerifyPin(const SecretBytes& pin) {
  Bytes data;
  KW_TRY(AppendPadded(data, pin, ErrorCode::kPinInvalid));
  CommandApdu cmd{0x00, 0x20, 0x00, kPinReference, std::move(data), 0};
  auto r = Send(cmd);
  Wipe(cmd.data);
  if (!r) return Fail(std::move(r).error());
  return CheckStatus(r->sw, "VERIFY PIN");
}

Result<void> PivClient::ResetPinStatus() {
  KW_ASSIGN_OR_RETURN(ResponseApdu r, Send({0x00, 0x20, 0xFF, kPinReference, {}, 0}));
  return CheckStatus(r.sw, "VERIFY (reset)");
}

Result<void> PivClient::ReferenceData(uint8_t ins, uint8_t ref, const SecretBytes& a,
                                      const SecretBytes& b, bool puk_first) {
  Bytes data;
  KW_TRY(AppendPadded(data, a, ErrorCode::kPinInvalid));
  auto second = AppendPadded(data, b, ErrorCode::kPinInvalid);
  if (!second) {
    Wipe(data);
    return second;
  }
  CommandApdu cmd{0x00, ins, 0x00, ref, std::move(data), 0};
  auto r = Send(cmd);
  Wipe(cmd.data);
  if (!r) return Fail(std::move(r).error());
  if (r->sw.ok()) return Ok();
  if (puk_first) return Fail(PukError(r->sw, ins == 0x2C ? "RESET RETRY COUNTER" : "CHANGE PUK"));
  return Fail(StatusWordError(r->sw, "CHANGE REFERENCE DATA"));
}

Result<void> PivClient::ChangePin(const SecretBytes& old_pin, const SecretBytes& new_pin) {
  return ReferenceData(0x24, kPinReference, old_pin, new_pin, false);
}

Result<void> PivClient::ChangePuk(const SecretBytes& old_puk, const SecretBytes& new_puk) {
  return ReferenceData(0x24, kPukReference, old_puk, new_puk, true);
}

Result<void> PivClient::UnblockPin(const SecretBytes& puk, const SecretBytes& new_pin) {
  return ReferenceData(0x2C, kPinReference, puk, new_pin, true);
}

Result<void> PivClient::AuthenticateManagementKey(const ManagementKey& key, MgmtAuthMode mode) {
  const uint8_t alg = static_cast<uint8_t>(key.algorithm());
  const size_t bs = key.block_size();
  KW_ASSIGN_OR_RETURN(auto tx, card_->BeginTransaction());
  auto step1_tag = mode == MgmtAuthMode::kMutual ? 0x80u : 0x81u;
  Bytes req;
  {
    Bytes inner;
    AppendTlv(inner, step1_tag, {});
    AppendTlv(req, 0x7C, inner);
  }
  KW_ASSIGN_OR_RETURN(ResponseApdu r1, Send({0x00, 0x87, alg, 0x9B, req, 256}));
  if (!r1.sw.ok()) {
    Error e = StatusWordError(r1.sw, "GENERAL AUTHENTICATE (management key, step 1)");
    if (r1.sw.value() == 0x6A80 || r1.sw.value() == 0x6A86)
      e.code = ErrorCode::kPivUnsupportedAlgorithm;
    return Fail(std::move(e));
  }
  auto outer = ParseSingleTlv(r1.data);
  if (!outer || outer->tag != 0x7C) return Fail(ErrorCode::kPivObjectMalformed, "no 7C template");
  auto inner = ParseTlvs(outer->value);
  if (!inner) return Fail(ErrorCode::kPivObjectMalformed, "bad 7C template");
  auto given = FindTlv(*inner, step1_tag);
  if (!given || given->size() != bs) {
    return Fail(ErrorCode::kPivObjectMalformed, "card's witness/challenge has the wrong size");
  }
  Bytes step2;
  Bytes my_challenge;
  if (mode == MgmtAuthMode::kExternal) {
    KW_ASSIGN_OR_RETURN(Bytes response, key.EncryptBlock(*given));
    Bytes in;
    AppendTlv(in, 0x82, response);
    AppendTlv(step2, 0x7C, in);
  } else {
    KW_ASSIGN_OR_RETURN(Bytes witness, key.DecryptBlock(*given));
    KW_ASSIGN_OR_RETURN(my_challenge, RandomBytes(bs));
    Bytes in;
    AppendTlv(in, 0x80, witness);
    AppendTlv(in, 0x81, my_challenge);
    AppendTlv(step2, 0x7C, in);
  }
  KW_ASSIGN_OR_RETURN(ResponseApdu r2,
                      Send({0x00, 0x87, alg, 0x9B, step2,
                            mode == MgmtAuthMode::kMutual ? size_t{256} : size_t{0}}));
  if (!r2.sw.ok()) {
    Error e = StatusWordError(r2.sw, "GENERAL AUTHENTICATE (management key)");
    if (r2.sw.value() == 0x6982 || r2.sw.value() == 0x6A80) {
      e.code = ErrorCode::kPivManagementKeyAuthFailed;
    }
    return Fail(std::move(e));
  }
  if (mode == MgmtAuthMode::kMutual) {
    auto o2 = ParseSingleTlv(r2.data);
    if (!o2 || o2->tag != 0x7C) return Fail(ErrorCode::kPivObjectMalformed, "no 7C template");
    auto i2 = ParseTlvs(o2->value);
    if (!i2) return Fail(ErrorCode::kPivObjectMalformed, "bad 7C template");
    auto card_response = FindTlv(*i2, 0x82);
    KW_ASSIGN_OR_RETURN(Bytes expected, key.EncryptBlock(my_challenge));
    if (!card_response || !ConstantTimeEqual(*card_response, expected)) {
      return Fail(ErrorCode::kPivManagementKeyAuthFailed,
                  "the card did not prove knowledge of the management key");
    }
  }
  return tx.End();
}

Result<void> PivClient::SetManagementKey(const ManagementKey& new_key) {
  const SecretBytes& k = new_key.key();
  Bytes data;
  data.reserve(3 + k.size());
  data.push_back(static_cast<uint8_t>(new_key.algorithm()));
  data.push_back(0x9B);
  data.push_back(static_cast<uint8_t>(k.size()));
  auto kb = k.reveal();
  data.insert(data.end(), kb.begin(), kb.end());
  CommandApdu cmd{0x00, 0xFF, 0xFF, 0xFF, std::move(data), 0};
  auto r = Send(cmd);
  Wipe(cmd.data);
  if (!r) return Fail(std::move(r).error());
  if (r->sw.ok()) return Ok();
  Error e = StatusWordError(r->sw, "SET MANAGEMENT KEY");
  if (r->sw.value() == 0x6A80 || r->sw.value() == 0x6A86)
    e.code = ErrorCode::kPivUnsupportedAlgorithm;
  return Fail(std::move(e));
}

Result<KeyMetadata> PivClient::GetMetadata(uint8_t key_reference) {
  KW_ASSIGN_OR_RETURN(ResponseApdu r, Send({0x00, 0xF7, 0x00, key_reference, {}, 256}));
  if (!r.sw.ok()) {
    Error e = StatusWordError(r.sw, "GET METADATA");
    if (r.sw.value() == StatusWord::kInsNotSupported ||
        r.sw.value() == StatusWord::kClaNotSupported) {
      e.code = ErrorCode::kPivMetadataUnsupported;
    }
    return Fail(std::move(e));
  }
  return KeyMetadata::Parse(r.data);
}

Result<Bytes> PivClient::SignRaw(Slot slot, Algorithm alg, ByteSpan input) {
  if (IsSymmetric(alg)) return Fail(ErrorCode::kPivUnsupportedAlgorithm, "not a signing algorithm");
  if (slot == Slot::kManagement) return Fail(ErrorCode::kInvalidArgument, "9B cannot sign");
  Bytes in;
  AppendTlv(in, 0x82, {});
  AppendTlv(in, 0x81, input);
  Bytes data = EncodeTlv(0x7C, in);
  KW_ASSIGN_OR_RETURN(ResponseApdu r, Send({0x00, 0x87, static_cast<uint8_t>(alg),
                                            static_cast<uint8_t>(slot), data, 256}));
  if (!r.sw.ok()) {
    Error e = StatusWordError(r.sw, "GENERAL AUTHENTICATE (sign)");
    if (r.sw.value() == 0x6982) e.code = ErrorCode::kPinRequired;
    return Fail(std::move(e));
  }
  auto outer = ParseSingleTlv(r.data);
  if (!outer || outer->tag != 0x7C) return Fail(ErrorCode::kPivObjectMalformed, "no 7C template");
  auto inner = ParseTlvs(outer->value);
  if (!inner) return Fail(ErrorCode::kPivObjectMalformed, "bad 7C template");
  auto sig = FindTlv(*inner, 0x82);
  if (!sig || sig->empty()) return Fail(ErrorCode::kPivObjectMalformed, "no signature (82)");
  return ToBytes(*sig);
}

Result<Bytes> Pkcs1v15Pad(HashAlgorithm hash, ByteSpan digest, size_t modulus_bytes) {
  if (hash == HashAlgorithm::kSha1) {
    return Fail(ErrorCode::kInsecureAlgorithmRefused, "RSA signing needs SHA-2");
  }
  KW_ASSIGN_OR_RETURN(Bytes t, DigestInfo(hash, digest));
  if (modulus_bytes < t.size() + 11) return Fail(ErrorCode::kInvalidArgument, "modulus too small");
  Bytes em(modulus_bytes, 0xFF);
  em[0] = 0x00;
  em[1] = 0x01;
  em[modulus_bytes - t.size() - 1] = 0x00;
  std::copy(t.begin(), t.end(), em.end() - static_cast<ptrdiff_t>(t.size()));
  return em;
}

Result<Bytes> PivClient::SignDigest(Slot slot, Algorithm alg, HashAlgorithm hash, ByteSpan digest) {
  if (IsRsa(alg)) {
    KW_ASSIGN_OR_RETURN(Bytes em, Pkcs1v15Pad(hash, digest, AlgorithmBlockSize(alg)));
    return SignRaw(slot, alg, em);
  }
  if (!IsEcc(alg)) return Fail(ErrorCode::kPivUnsupportedAlgorithm, "not a signing algorithm");
  size_t n = AlgorithmBlockSize(alg);
  Bytes in(n, 0);
  if (digest.size() >= n) {
    std::copy(digest.begin(), digest.begin() + static_cast<ptrdiff_t>(n), in.begin());
  } else {
    std::copy(digest.begin(), digest.end(), in.end() - static_cast<ptrdiff_t>(digest.size()));
  }
  return SignRaw(slot, alg, in);
}

Result<PivPublicKey> PivClient::GenerateKey(Slot slot, Algorithm alg) {
  if (IsSymmetric(alg) || alg == Algorithm::kRsa1024) {
    return Fail(ErrorCode::kPivUnsupportedAlgorithm, "generate: ECC P-256/P-384 or RSA-2048");
  }
  Bytes in;
  const uint8_t a = static_cast<uint8_t>(alg);
  AppendTlv(in, 0x80, ByteSpan(&a, 1));
  Bytes data = EncodeTlv(0xAC, in);
  KW_ASSIGN_OR_RETURN(ResponseApdu r,
                      Send({0x00, 0x47, 0x00, static_cast<uint8_t>(slot), data, 256}));
  if (!r.sw.ok()) {
    Error e = StatusWordError(r.sw, "GENERATE ASYMMETRIC KEY PAIR");
    if (r.sw.value() == 0x6A80 || r.sw.value() == 0x6A86)
      e.code = ErrorCode::kPivUnsupportedAlgorithm;
    return Fail(std::move(e));
  }
  return PivPublicKey::Parse(alg, r.data);
}

}  // namespace keyward::pcsc::piv
