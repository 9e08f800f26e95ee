#include "tools/softpiv/soft_piv_card.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>

#include <algorithm>

#include "core/hash.h"
#include "pcsc/mgmt_key.h"
#include "pcsc/piv_metadata.h"
#include "pcsc/piv_objects.h"
#include "pcsc/piv_public_key.h"
#include "pcsc/tlv.h"

namespace keyward::softpiv {

using pcsc::CommandApdu;
using pcsc::ResponseApdu;
using pcsc::StatusWord;
using pcsc::Tlv;
namespace piv = pcsc::piv;

namespace {

constexpr uint16_t kSwMemoryFailure = 0x6581;

bool IsPinFormat(ByteSpan padded) {
  // 8 bytes: 6-8 non-FF bytes, then FF padding only.
  if (padded.size() != 8) return false;
  size_t n = 0;
  while (n < 8 && padded[n] != 0xFF) ++n;
  if (n < 6) return false;
  for (size_t i = n; i < 8; ++i) {
    if (padded[i] != 0xFF) return false;
  }
  return true;
}

Bytes Unpad(ByteSpan padded) {
  Bytes out(padded.begin(), padded.end());
  while (!out.empty() && out.back() == 0xFF) out.pop_back();
  return out;
}

uint16_t Counter(int retries) { return static_cast<uint16_t>(0x63C0 | std::clamp(retries, 0, 15)); }

uint32_t TagFromBytes(ByteSpan b) {
  uint32_t t = 0;
  for (uint8_t x : b) t = (t << 8) | x;
  return t;
}

}  // namespace

Bytes SoftPivCard::Atr() {
  return {0x3B, 0x8B, 0x80, 0x01, 0x80, 0xF9, 0xA0, 0x00,
          0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0xC8};
}

Result<SoftPivCard> SoftPivCard::Open(SoftPivOptions options) {
  auto loaded = CardState::Load(options.state_path);
  if (loaded) return SoftPivCard(std::move(options), std::move(loaded).value());
  if (loaded.error().code != ErrorCode::kNotFound) return Fail(std::move(loaded).error());
  KW_ASSIGN_OR_RETURN(CardState fresh, CardState::Fresh());
  KW_TRY(fresh.Save(options.state_path));
  return SoftPivCard(std::move(options), std::move(fresh));
}

SoftPivCard SoftPivCard::InMemory(CardState state) {
  return SoftPivCard(SoftPivOptions{}, std::move(state));
}

void SoftPivCard::Reset() {
  pin_verified_ = false;
  pin_just_verified_ = false;
  mgmt_authenticated_ = false;
  mgmt_witness_.clear();
  mgmt_challenge_.clear();
  chaining_ = false;
  chain_data_.clear();
  pending_.clear();
}

bool SoftPivCard::Save() {
  if (options_.state_path.empty()) return true;
  return state_.Save(options_.state_path).has_value();
}

ResponseApdu SoftPivCard::Respond(Bytes data, size_t le) {
  if (le == 0) le = pcsc::kShortMaxLe;
  if (data.size() <= le) return {std::move(data), StatusWord(StatusWord::kSuccess)};
  pending_.assign(data.begin() + static_cast<ptrdiff_t>(le), data.end());
  data.resize(le);
  size_t left = std::min<size_t>(pending_.size(), 256);
  return {std::move(data), StatusWord(0x61, static_cast<uint8_t>(left & 0xff))};
}

std::optional<Bytes> SoftPivCard::Process(ByteSpan command) {
  auto parsed = CommandApdu::Parse(command);
  if (!parsed) return ResponseApdu{{}, StatusWord(StatusWord::kWrongLength)}.Encode();
  CommandApdu c = std::move(parsed).value();
  if (options_.remove_at_ins && c.ins == *options_.remove_at_ins &&
      ++remove_at_seen_ == options_.remove_at_count) {
    return std::nullopt;
  }
  if (c.ins == 0xC0 && (c.cla & 0x7f) == 0x00) {  // GET RESPONSE
    if (pending_.empty()) return Sw(StatusWord::kConditionsNotSatisfied).Encode();
    Bytes rest = std::move(pending_);
    pending_.clear();
    return Respond(std::move(rest), c.le).Encode();
  }
  pending_.clear();
  if (c.cla & pcsc::kClaChaining) {
    if (chaining_ && (chain_ins_ != c.ins || chain_p1_ != c.p1 || chain_p2_ != c.p2)) {
      chaining_ = false;
      chain_data_.clear();
      return Sw(StatusWord::kLastCommandOfChainExpected).Encode();
    }
    if (chain_data_.size() + c.data.size() > 65536) {
      chaining_ = false;
      chain_data_.clear();
      return Sw(StatusWord::kNotEnoughMemory).Encode();
    }
    chaining_ = true;
    chain_ins_ = c.ins;
    chain_p1_ = c.p1;
    chain_p2_ = c.p2;
    chain_data_.insert(chain_data_.end(), c.data.begin(), c.data.end());
    return Sw(StatusWord::kSuccess).Encode();
  }
  if (chaining_) {
    chaining_ = false;
    if (chain_ins_ != c.ins || chain_p1_ != c.p1 || chain_p2_ != c.p2) {
      chain_data_.clear();
      return Sw(StatusWord::kLastCommandOfChainExpected).Encode();
    }
    chain_data_.insert(chain_data_.end(), c.data.begin(), c.data.end());
    c.data = std::move(chain_data_);
    chain_data_.clear();
  }
  bool vanish = false;
  bool was_just_verified = pin_just_verified_;
  ResponseApdu r = Dispatch(c, &vanish);
  if (vanish) return std::nullopt;
  if (was_just_verified) pin_just_verified_ = false;
  return r.Encode();
}

ResponseApdu SoftPivCard::Dispatch(const CommandApdu& c, bool* vanish) {
  if (c.cla == 0x80 && c.ins == 0xFE) {  // proprietary length probe (see header)
    if (c.le != 32) return Sw(0x6C20);
    Bytes data(32);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i);
    return {data, StatusWord(StatusWord::kSuccess)};
  }
  if (c.cla != 0x00) return Sw(StatusWord::kClaNotSupported);
  switch (c.ins) {
    case 0xA4:
      return Select(c);
    case 0xCB:
      return GetData(c);
    case 0x20:
      return Verify(c);
    case 0x24:
      return ChangeReference(c);
    case 0x2C:
      return ResetRetryCounter(c);
    case 0x87:
      return GeneralAuthenticate(c, vanish);
    case 0x47:
      return Generate(c);
    case 0xDB:
      return PutData(c);
    case 0xFF:
      if (options_.no_vendor_extensions) return Sw(StatusWord::kInsNotSupported);
      return SetManagementKey(c);
    case 0xF7:
      if (options_.no_vendor_extensions) return Sw(StatusWord::kInsNotSupported);
      return GetMetadata(c);
    default:
      return Sw(StatusWord::kInsNotSupported);
  }
}

ResponseApdu SoftPivCard::Select(const CommandApdu& c) {
  if (c.p1 != 0x04) return Sw(StatusWord::kFileNotFound);
  if (c.data.size() < 5 || c.data.size() > piv::kPivAid.size() ||
      !std::equal(c.data.begin(), c.data.end(), piv::kPivAid.begin())) {
    return Sw(StatusWord::kFileNotFound);
  }
  // Application property template: 4F PIX of the AID, 79 { 4F RID } (SP 800-73-4 Part 2 §3.1.1).
  Bytes apt;
  const uint8_t pix[] = {0x00, 0x00, 0x10, 0x00, 0x01, 0x00};
  pcsc::AppendTlv(apt, 0x4F, pix);
  const uint8_t rid[] = {0xA0, 0x00, 0x00, 0x03, 0x08};
  Bytes alloc = pcsc::EncodeTlv(0x4F, rid);
  pcsc::AppendTlv(apt, 0x79, alloc);
  return Respond(pcsc::EncodeTlv(0x61, apt), c.le);
}

ResponseApdu SoftPivCard::GetData(const CommandApdu& c) {
  if (c.p1 != 0x3F || c.p2 != 0xFF) return Sw(StatusWord::kIncorrectP1P2);
  auto tlv = pcsc::ParseSingleTlv(c.data);
  if (!tlv || tlv->tag != 0x5C || tlv->value.empty() || tlv->value.size() > 3) {
    return Sw(StatusWord::kWrongData);
  }
  uint32_t tag = TagFromBytes(tlv->value);
  if (tag == piv::kTagDiscovery) {
    return Respond(piv::WrapDataObject(piv::Discovery::EncodeDefault(), 0x7E), c.le);
  }
  auto it = state_.objects.find(tag);
  if (it == state_.objects.end()) return Sw(StatusWord::kFileNotFound);
  if (tag == piv::kTagPrintedInformation && !pin_verified_) {
    return Sw(StatusWord::kSecurityStatusNotSatisfied);
  }
  return Respond(piv::WrapDataObject(it->second), c.le);
}

ResponseApdu SoftPivCard::Verify(const CommandApdu& c) {
  if (c.p2 != piv::kPinReference) return Sw(StatusWord::kReferencedDataNotFound);
  if (c.p1 == 0xFF) {  // reset the security status
    if (!c.data.empty()) return Sw(StatusWord::kWrongData);
    pin_verified_ = false;
    return Sw(StatusWord::kSuccess);
  }
  if (c.p1 != 0x00) return Sw(StatusWord::kIncorrectP1P2);
  if (c.data.empty()) {
    if (pin_verified_) return Sw(StatusWord::kSuccess);
    if (state_.pin_retries <= 0) return Sw(StatusWord::kAuthenticationMethodBlocked);
    return Sw(Counter(state_.pin_retries));
  }
  if (c.data.size() != 8) return Sw(StatusWord::kWrongData);
  if (state_.pin_retries <= 0) return Sw(StatusWord::kAuthenticationMethodBlocked);
  Bytes given = Unpad(c.data);
  bool ok = IsPinFormat(c.data) && ConstantTimeEqual(given, state_.pin.reveal());
  OPENSSL_cleanse(given.data(), given.size());
  if (!ok) {
    pin_verified_ = false;
    --state_.pin_retries;
    if (!Save()) return Sw(kSwMemoryFailure);
    return Sw(Counter(state_.pin_retries));
  }
  if (state_.pin_retries != state_.pin_max_retries) {
    state_.pin_retries = state_.pin_max_retries;
    if (!Save()) return Sw(kSwMemoryFailure);
  }
  pin_verified_ = true;
  pin_just_verified_ = true;
  return Sw(StatusWord::kSuccess);
}

ResponseApdu SoftPivCard::ChangeReference(const CommandApdu& c) {
  bool is_pin = c.p2 == piv::kPinReference;
  if (!is_pin && c.p2 != piv::kPukReference) return Sw(StatusWord::kReferencedDataNotFound);
  if (c.p1 != 0x00) return Sw(StatusWord::kIncorrectP1P2);
  if (c.data.size() != 16) return Sw(StatusWord::kWrongData);
  int& retries = is_pin ? state_.pin_retries : state_.puk_retries;
  int max = is_pin ? state_.pin_max_retries : state_.puk_max_retries;
  SecretBytes& secret = is_pin ? state_.pin : state_.puk;
  if (retries <= 0) return Sw(StatusWord::kAuthenticationMethodBlocked);
  ByteSpan old_padded(c.data.data(), 8);
  ByteSpan new_padded(c.data.data() + 8, 8);
  Bytes old_value = Unpad(old_padded);
  bool ok = IsPinFormat(old_padded) && ConstantTimeEqual(old_value, secret.reveal());
  OPENSSL_cleanse(old_value.data(), old_value.size());
  if (!ok) {
    --retries;
    if (is_pin) pin_verified_ = false;
    if (!Save()) return Sw(kSwMemoryFailure);
    return Sw(Counter(retries));
  }
  if (!IsPinFormat(new_padded)) return Sw(StatusWord::kWrongData);
  Bytes new_value = Unpad(new_padded);
  secret = SecretBytes(new_value);
  OPENSSL_cleanse(new_value.data(), new_value.size());
  retries = max;
  if (!Save()) return Sw(kSwMemoryFailure);
  if (is_pin) pin_verified_ = true;
  return Sw(StatusWord::kSuccess);
}

ResponseApdu SoftPivCard::ResetRetryCounter(const CommandApdu& c) {
  if (c.p2 != piv::kPinReference) return Sw(StatusWord::kReferencedDataNotFound);
  if (c.p1 != 0x00) return Sw(StatusWord::kIncorrectP1P2);
  if (c.data.size() != 16) return Sw(StatusWord::kWrongData);
  if (state_.puk_retries <= 0) return Sw(StatusWord::kAuthenticationMethodBlocked);
  ByteSpan puk_padded(c.data.data(), 8);
  ByteSpan pin_padded(c.data.data() + 8, 8);
  Bytes puk = Unpad(puk_padded);
  bool ok = IsPinFormat(puk_padded) && ConstantTimeEqual(puk, state_.puk.reveal());
  OPENSSL_cleanse(puk.data(), puk.size());
  if (!ok) {
    --state_.puk_retries;
    if (!Save()) return Sw(kSwMemoryFailure);
    return Sw(Counter(state_.puk_retries));
  }
  if (!IsPinFormat(pin_padded)) return Sw(StatusWord::kWrongData);
  Bytes pin = Unpad(pin_padded);
  state_.pin = SecretBytes(pin);
  OPENSSL_cleanse(pin.data(), pin.size());
  state_.pin_retries = state_.pin_max_retries;
  state_.puk_retries = state_.puk_max_retries;
  if (!Save()) return Sw(kSwMemoryFailure);
  return Sw(StatusWord::kSuccess);
}

ResponseApdu SoftPivCard::GeneralAuthenticate(const CommandApdu& c, bool* vanish) {
  auto outer = pcsc::ParseSingleTlv(c.data);
  if (!outer || outer->tag != 0x7C) return Sw(StatusWord::kWrongData);
  auto items = pcsc::ParseTlvs(outer->value);
  if (!items) return Sw(StatusWord::kWrongData);
  auto witness = pcsc::FindTlv(*items, 0x80);
  auto challenge = pcsc::FindTlv(*items, 0x81);
  auto response = pcsc::FindTlv(*items, 0x82);
  auto alg = piv::AlgorithmFromByte(c.p1);
  if (!alg) return Sw(StatusWord::kIncorrectP1P2);

  if (c.p2 == 0x9B) {
    if (*alg != state_.mgmt_algorithm) return Sw(StatusWord::kIncorrectP1P2);
    auto key =
        piv::ManagementKey::Create(state_.mgmt_algorithm, SecretBytes(state_.mgmt_key.reveal()));
    if (!key) return Sw(kSwMemoryFailure);
    size_t bs = key->block_size();
    if (witness && witness->empty() && !challenge && !response) {  // mutual, step 1
      auto w = RandomBytes(bs);
      if (!w) return Sw(StatusWord::kNoPreciseDiagnosis);
      auto enc = key->EncryptBlock(*w);
      if (!enc) return Sw(StatusWord::kNoPreciseDiagnosis);
      mgmt_witness_ = *w;
      mgmt_challenge_.clear();
      mgmt_authenticated_ = false;
      return Respond(pcsc::EncodeTlv(0x7C, pcsc::EncodeTlv(0x80, *enc)), c.le);
    }
    if (challenge && challenge->empty() && !witness && !response) {  // external, step 1
      auto ch = RandomBytes(bs);
      if (!ch) return Sw(StatusWord::kNoPreciseDiagnosis);
      mgmt_challenge_ = *ch;
      mgmt_witness_.clear();
      mgmt_authenticated_ = false;
      return Respond(pcsc::EncodeTlv(0x7C, pcsc::EncodeTlv(0x81, *ch)), c.le);
    }
    if (witness && challenge && !witness->empty() && !response) {  // mutual, step 2
      Bytes expected = std::move(mgmt_witness_);
      mgmt_witness_.clear();
      if (expected.empty() || !ConstantTimeEqual(*witness, expected)) {
        return Sw(StatusWord::kSecurityStatusNotSatisfied);
      }
      if (challenge->size() != bs) return Sw(StatusWord::kWrongData);
      auto enc = key->EncryptBlock(*challenge);
      if (!enc) return Sw(StatusWord::kNoPreciseDiagnosis);
      mgmt_authenticated_ = true;
      return Respond(pcsc::EncodeTlv(0x7C, pcsc::EncodeTlv(0x82, *enc)), c.le);
    }
    if (response && !response->empty() && !witness && !challenge) {  // external, step 2
      Bytes ch = std::move(mgmt_challenge_);
      mgmt_challenge_.clear();
      if (ch.empty()) return Sw(StatusWord::kConditionsNotSatisfied);
      auto expected = key->EncryptBlock(ch);
      if (!expected || !ConstantTimeEqual(*response, *expected)) {
        return Sw(StatusWord::kSecurityStatusNotSatisfied);
      }
      mgmt_authenticated_ = true;
      return Sw(StatusWord::kSuccess);
    }
    return Sw(StatusWord::kWrongData);
  }

  auto slot = piv::SlotFromByte(c.p2);
  if (!slot) return Sw(StatusWord::kIncorrectP1P2);
  auto it = state_.keys.find(c.p2);
  if (it == state_.keys.end()) return Sw(StatusWord::kReferencedDataNotFound);
  if (it->second.algorithm != *alg) return Sw(StatusWord::kIncorrectP1P2);
  if (!response || !response->empty() || !challenge) return Sw(StatusWord::kWrongData);
  bool allowed = *slot == piv::Slot::kCardAuthentication ||
                 (*slot == piv::Slot::kSignature ? pin_just_verified_ : pin_verified_);
  if (!allowed) return Sw(StatusWord::kSecurityStatusNotSatisfied);
  if (challenge->size() != piv::AlgorithmBlockSize(*alg)) return Sw(StatusWord::kWrongData);
  if (options_.remove_during_sign) {
    *vanish = true;
    return Sw(StatusWord::kNoPreciseDiagnosis);
  }
  EVP_PKEY* key = it->second.key.get();
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(key, nullptr));
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1) return Sw(StatusWord::kNoPreciseDiagnosis);
  if (piv::IsRsa(*alg) && EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING) != 1) {
    return Sw(StatusWord::kNoPreciseDiagnosis);
  }
  size_t sig_len = 0;
  if (EVP_PKEY_sign(ctx.get(), nullptr, &sig_len, challenge->data(), challenge->size()) != 1) {
    return Sw(StatusWord::kNoPreciseDiagnosis);
  }
  Bytes sig(sig_len);
  if (EVP_PKEY_sign(ctx.get(), sig.data(), &sig_len, challenge->data(), challenge->size()) != 1) {
    TakeOpensslError("sign");
    return Sw(StatusWord::kWrongData);
  }
  sig.resize(sig_len);
  return Respond(pcsc::EncodeTlv(0x7C, pcsc::EncodeTlv(0x82, sig)), c.le);
}

ResponseApdu SoftPivCard::Generate(const CommandApdu& c) {
  if (!mgmt_authenticated_) return Sw(StatusWord::kSecurityStatusNotSatisfied);
  auto slot = piv::SlotFromByte(c.p2);
  if (c.p1 != 0x00 || !slot || *slot == piv::Slot::kManagement) {
    return Sw(StatusWord::kIncorrectP1P2);
  }
  auto outer = pcsc::ParseSingleTlv(c.data);
  if (!outer || outer->tag != 0xAC) return Sw(StatusWord::kWrongData);
  auto items = pcsc::ParseTlvs(outer->value);
  if (!items) return Sw(StatusWord::kWrongData);
  auto a = pcsc::FindTlv(*items, 0x80);
  if (!a || a->size() != 1) return Sw(StatusWord::kWrongData);
  auto alg = piv::AlgorithmFromByte((*a)[0]);
  if (!alg || !(piv::IsEcc(*alg) || *alg == piv::Algorithm::kRsa2048)) {
    return Sw(StatusWord::kWrongData);
  }
  EVP_PKEY* key = nullptr;
  if (*alg == piv::Algorithm::kEccP256) {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  } else if (*alg == piv::Algorithm::kEccP384) {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
  } else {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
  }
  if (!key) return Sw(StatusWord::kNoPreciseDiagnosis);
  EvpPkeyPtr owned(key);
  auto pub = piv::PivPublicKey::FromEvp(key);
  if (!pub) return Sw(StatusWord::kNoPreciseDiagnosis);
  state_.keys[c.p2] = SlotKey{*alg, std::move(owned)};
  if (!Save()) return Sw(kSwMemoryFailure);
  return Respond(pub->Encode(), c.le);
}

ResponseApdu SoftPivCard::PutData(const CommandApdu& c) {
  if (!mgmt_authenticated_) return Sw(StatusWord::kSecurityStatusNotSatisfied);
  if (c.p1 != 0x3F || c.p2 != 0xFF) return Sw(StatusWord::kIncorrectP1P2);
  auto items = pcsc::ParseTlvs(c.data);
  if (!items || items->size() != 2 || (*items)[0].tag != 0x5C || (*items)[1].tag != 0x53 ||
      (*items)[0].value.empty() || (*items)[0].value.size() > 3) {
    return Sw(StatusWord::kWrongData);
  }
  uint32_t tag = TagFromBytes((*items)[0].value);
  if ((tag >> 8) != 0x5FC1) return Sw(StatusWord::kWrongData);
  if ((*items)[1].value.empty()) {
    state_.objects.erase(tag);
  } else {
    state_.objects[tag] = ToBytes((*items)[1].value);
  }
  if (!Save()) return Sw(kSwMemoryFailure);
  return Sw(StatusWord::kSuccess);
}

ResponseApdu SoftPivCard::SetManagementKey(const CommandApdu& c) {
  if (c.p1 != 0xFF || c.p2 != 0xFF) return Sw(StatusWord::kIncorrectP1P2);  // FE (touch): no
  if (!mgmt_authenticated_) return Sw(StatusWord::kSecurityStatusNotSatisfied);
  if (c.data.size() < 3 || c.data[1] != 0x9B || c.data[2] != c.data.size() - 3) {
    return Sw(StatusWord::kWrongData);
  }
  auto alg = piv::AlgorithmFromByte(c.data[0]);
  if (!alg || !piv::IsSymmetric(*alg)) return Sw(StatusWord::kWrongData);
  SecretBytes key(ByteSpan(c.data.data() + 3, c.data.size() - 3));
  auto checked = piv::ManagementKey::Create(*alg, SecretBytes(key.reveal()));
  if (!checked) return Sw(StatusWord::kWrongData);
  state_.mgmt_algorithm = *alg;
  state_.mgmt_key = std::move(key);
  if (!Save()) return Sw(kSwMemoryFailure);
  return Sw(StatusWord::kSuccess);
}

ResponseApdu SoftPivCard::GetMetadata(const CommandApdu& c) {
  if (c.p1 != 0x00) return Sw(StatusWord::kIncorrectP1P2);
  piv::KeyMetadata m;
  if (c.p2 == piv::kPinReference || c.p2 == piv::kPukReference) {
    bool pin = c.p2 == piv::kPinReference;
    m.algorithm_id = piv::kMetadataAlgorithmPin;
    m.is_default = pin ? state_.PinIsDefault() : state_.PukIsDefault();
    m.retries_total = pin ? state_.pin_max_retries : state_.puk_max_retries;
    m.retries_left = std::max(0, pin ? state_.pin_retries : state_.puk_retries);
  } else if (c.p2 == 0x9B) {
    m.algorithm_id = static_cast<uint8_t>(state_.mgmt_algorithm);
    m.pin_policy = 1;    // never
    m.touch_policy = 1;  // never
    m.is_default = state_.MgmtKeyIsDefault();
  } else {
    auto slot = piv::SlotFromByte(c.p2);
    if (!slot) return Sw(StatusWord::kReferencedDataNotFound);
    auto it = state_.keys.find(c.p2);
    if (it == state_.keys.end()) return Sw(StatusWord::kReferencedDataNotFound);
    auto pub = piv::PivPublicKey::FromEvp(it->second.key.get());
    if (!pub) return Sw(StatusWord::kNoPreciseDiagnosis);
    m.algorithm_id = static_cast<uint8_t>(it->second.algorithm);
    switch (*slot) {
      case piv::Slot::kSignature:
        m.pin_policy = 3;  // always
        break;
      case piv::Slot::kCardAuthentication:
        m.pin_policy = 1;  // never
        break;
      default:
        m.pin_policy = 2;  // once
        break;
    }
    m.touch_policy = 1;
    m.origin = it->second.origin;
    m.public_key = std::move(pub).value();
  }
  return Respond(m.Encode(), c.le);
}

}  // namespace keyward::softpiv
