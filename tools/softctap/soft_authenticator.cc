#include "tools/softctap/soft_authenticator.h"

#include <algorithm>

#include "core/cbor_writer.h"
#include "core/hash.h"
#include "tools/softctap/attestation_certs.h"
#include "tools/softctap/ctap_request.h"
#include "tools/softctap/ctap_status.h"
#include "tools/softctap/pin_uv_auth_protocol.h"
#include "tools/softctap/soft_authenticator_internal.h"

namespace keyward::softctap {

using internal::kFlagAt;
using internal::kFlagEd;
using internal::kFlagUp;
using internal::kFlagUv;

SoftAuthenticator::SoftAuthenticator(SoftState state, std::string path)
    : state_(std::move(state)), path_(std::move(path)) {}

SoftAuthenticator::~SoftAuthenticator() = default;

Result<std::unique_ptr<SoftAuthenticator>> SoftAuthenticator::CreateInMemory() {
  KW_ASSIGN_OR_RETURN(SoftState st, NewSoftState());
  std::unique_ptr<SoftAuthenticator> a(new SoftAuthenticator(std::move(st), ""));
  KW_TRY(a->NewPowerUpSecrets());
  return a;
}

Result<std::unique_ptr<SoftAuthenticator>> SoftAuthenticator::OpenFile(const std::string& path) {
  auto loaded = LoadSoftStateFile(path);
  SoftState st;
  bool fresh = false;
  if (loaded) {
    st = std::move(loaded).value();
  } else if (loaded.error().code == ErrorCode::kNotFound) {
    KW_ASSIGN_OR_RETURN(st, NewSoftState());
    fresh = true;
  } else {
    return Fail(loaded.error());
  }
  std::unique_ptr<SoftAuthenticator> a(new SoftAuthenticator(std::move(st), path));
  KW_TRY(a->NewPowerUpSecrets());
  if (fresh) KW_TRY(a->Persist());
  return a;
}

Result<void> SoftAuthenticator::NewPowerUpSecrets() {
  KW_ASSIGN_OR_RETURN(EcdhKey k, EcdhKey::Generate());
  key_agreement_ = std::move(k);
  KW_ASSIGN_OR_RETURN(Bytes t, RandomBytes(32));
  token_ = Token{};
  token_.key = SecretBytes(t);
  OPENSSL_cleanse(t.data(), t.size());
  consecutive_pin_failures_ = 0;
  power_on_ = std::chrono::steady_clock::now();
  pending_.reset();
  enumeration_.reset();
  return Ok();
}

void SoftAuthenticator::PowerCycle() {
  std::lock_guard<std::mutex> lock(mu_);
  (void)NewPowerUpSecrets();
}

Result<void> SoftAuthenticator::Persist() {
  if (path_.empty()) return Ok();
  return SaveSoftStateFile(path_, state_);
}

Bytes SoftAuthenticator::aaguid() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_.aaguid;
}
std::string SoftAuthenticator::CaCertificatePem() const {
  std::lock_guard<std::mutex> lock(mu_);
  return CertificateToPem(state_.attestation.ca_cert);
}
Bytes SoftAuthenticator::CaCertificateDer() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_.attestation.ca_cert;
}
uint8_t SoftAuthenticator::pin_retries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_.pin_retries;
}
size_t SoftAuthenticator::resident_credential_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_.credentials.size();
}
uint32_t SoftAuthenticator::sign_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_.sign_count;
}

Bytes SoftAuthenticator::Handle(ByteSpan request, UserPresence& presence) {
  std::lock_guard<std::mutex> lock(mu_);
  if (request.empty()) return {ctap::kInvalidLength};
  auto r = Dispatch(request[0], request.subspan(1), presence);
  if (!r) return {CtapStatusOf(r.error())};
  Bytes out;
  out.reserve(1 + r->size());
  out.push_back(ctap::kOk);
  out.insert(out.end(), r->begin(), r->end());
  return out;
}

Result<Bytes> SoftAuthenticator::Dispatch(uint8_t cmd, ByteSpan params, UserPresence& presence) {
  // Any command other than getNextAssertion ends a pending assertion sequence; any command other
  // than credentialManagement ends an enumeration (CTAP 2.1 §6.3, §6.8).
  if (cmd != ctap_cmd::kGetNextAssertion) pending_.reset();
  if (cmd != ctap_cmd::kCredentialManagement && cmd != ctap_cmd::kCredentialManagementPreview) {
    enumeration_.reset();
  }
  switch (cmd) {
    case ctap_cmd::kGetInfo:
      return GetInfo(params);
    case ctap_cmd::kReset:
      return Reset(params, presence);
    case ctap_cmd::kGetNextAssertion:
      return GetNextAssertion(params);
    case ctap_cmd::kSelection:
      return Selection(params, presence);
    case ctap_cmd::kMakeCredential:
    case ctap_cmd::kGetAssertion:
    case ctap_cmd::kClientPin:
    case ctap_cmd::kCredentialManagement:
    case ctap_cmd::kCredentialManagementPreview:
    case ctap_cmd::kConfig:
      break;
    default:
      return CtapError(ctap::kInvalidCommand, "unknown authenticator command");
  }
  KW_ASSIGN_OR_RETURN(CborItem req, ParseRequestMap(params));
  switch (cmd) {
    case ctap_cmd::kMakeCredential:
      return MakeCredential(req, presence);
    case ctap_cmd::kGetAssertion:
      return GetAssertion(req, presence);
    case ctap_cmd::kClientPin:
      return ClientPin(req, presence);
    case ctap_cmd::kConfig:
      return Config(req);
    default:
      return CredentialManagement(req);
  }
}

Result<Bytes> SoftAuthenticator::GetInfo(ByteSpan params) {
  if (!params.empty()) return CtapError(ctap::kInvalidLength, "getInfo takes no parameters");
  bool uv = switches_.builtin_uv.load();
  std::vector<std::pair<std::string, bool>> options = {
      {"ep", state_.ep_enabled},
      {"rk", true},
      {"up", true},
      {"plat", false},
      {"alwaysUv", state_.always_uv},
      {"credMgmt", true},
      {"authnrCfg", true},
      {"clientPin", state_.pin_set()},
      {"pinUvAuthToken", true},
      {"setMinPINLength", true},
      {"makeCredUvNotRqd", !state_.always_uv},
      {"credentialMgmtPreview", true},
  };
  if (uv) options.emplace_back("uv", true);
  std::sort(options.begin(), options.end(), [](const auto& a, const auto& b) {
    return a.first.size() != b.first.size() ? a.first.size() < b.first.size() : a.first < b.first;
  });
  CborWriter w;
  size_t n = 16 + (uv ? 2 : 0);
  w.Map(n);
  w.Uint(0x01).Array(2).Text("FIDO_2_0").Text("FIDO_2_1");
  w.Uint(0x02)
      .Array(5)
      .Text("credBlob")
      .Text("credProtect")
      .Text("hmac-secret")
      .Text("largeBlobKey")
      .Text("minPinLength");
  w.Uint(0x03).Bytes(state_.aaguid);
  w.Uint(0x04).Map(options.size());
  for (const auto& [k, v] : options) w.Text(k).Bool(v);
  w.Uint(0x05).Uint(internal::kMaxMsgSize);
  w.Uint(0x06).Array(2).Uint(2).Uint(1);
  w.Uint(0x07).Uint(internal::kMaxCredentialCountInList);
  w.Uint(0x08).Uint(internal::kMaxCredentialIdLength);
  w.Uint(0x09).Array(1).Text("usb");
  w.Uint(0x0a).Array(2);
  w.Map(2).Text("alg").Int(-7).Text("type").Text("public-key");
  w.Map(2).Text("alg").Int(-8).Text("type").Text("public-key");
  w.Uint(0x0c).Bool(state_.force_pin_change);
  w.Uint(0x0d).Uint(state_.min_pin_length);
  w.Uint(0x0e).Uint(internal::kFirmwareVersion);
  w.Uint(0x0f).Uint(internal::kMaxCredBlobLength);
  w.Uint(0x10).Uint(internal::kMaxRpIdsForSetMinPinLength);
  if (uv) {
    w.Uint(0x11).Uint(1);       // preferredPlatformUvAttempts
    w.Uint(0x12).Uint(0x0002);  // uvModality: USER_VERIFY_FINGERPRINT_INTERNAL
  }
  w.Uint(0x14).Uint(kMaxResidentCredentials - state_.credentials.size());
  return w.Take();
}

Result<Bytes> SoftAuthenticator::Selection(ByteSpan params, UserPresence& presence) {
  if (!params.empty()) return CtapError(ctap::kInvalidLength, "selection takes no parameters");
  uint8_t up = presence.WaitForTouch();
  if (up != ctap::kOk) return CtapError(up, "no touch");
  return Bytes{};
}

Result<Bytes> SoftAuthenticator::Reset(ByteSpan params, UserPresence& presence) {
  if (!params.empty()) return CtapError(ctap::kInvalidLength, "reset takes no parameters");
  int window = switches_.reset_window_ms.load();
  if (window > 0 &&
      std::chrono::steady_clock::now() - power_on_ > std::chrono::milliseconds(window)) {
    return CtapError(ctap::kNotAllowed, "reset only shortly after power-up");
  }
  uint8_t up = presence.WaitForTouch();
  if (up != ctap::kOk) return CtapError(up, "no touch");
  KW_TRY(ResetSoftState(state_));
  auto powered_on = power_on_;  // a reset is not a power cycle
  KW_TRY(NewPowerUpSecrets());
  power_on_ = powered_on;
  if (auto p = Persist(); !p) return CtapError(ctap::kOther, p.error().detail);
  return Bytes{};
}

Result<void> SoftAuthenticator::BuiltinUv() {
  if (state_.uv_retries == 0) return CtapError(ctap::kUvBlocked, "built-in UV blocked");
  if (switches_.uv_succeeds.load()) {
    state_.uv_retries = kMaxUvRetries;
    return Ok();
  }
  --state_.uv_retries;
  (void)Persist();
  if (state_.uv_retries == 0) return CtapError(ctap::kUvBlocked, "built-in UV blocked");
  return CtapError(ctap::kUvInvalid, "built-in UV failed");
}

Result<Bytes> SoftAuthenticator::AuthData(const std::string& rp_id, uint8_t flags,
                                          const ResidentCredential* attested,
                                          ByteSpan cose_public_key, ByteSpan extensions) {
  auto rp_hash = Sha256(AsBytes(rp_id));
  ++state_.sign_count;
  Bytes out(rp_hash.begin(), rp_hash.end());
  out.push_back(flags);
  uint32_t c = state_.sign_count;
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(c >> s));
  if (attested) {
    out.insert(out.end(), state_.aaguid.begin(), state_.aaguid.end());
    out.push_back(static_cast<uint8_t>(attested->id.size() >> 8));
    out.push_back(static_cast<uint8_t>(attested->id.size()));
    out.insert(out.end(), attested->id.begin(), attested->id.end());
    out.insert(out.end(), cose_public_key.begin(), cose_public_key.end());
  }
  out.insert(out.end(), extensions.begin(), extensions.end());
  return out;
}

Result<Bytes> SoftAuthenticator::WrapCredential(const ResidentCredential& c, ByteSpan rp_id_hash) {
  CborWriter w;
  w.Map(5);
  w.Uint(1).Int(static_cast<int64_t>(c.alg));
  w.Uint(2).Bytes(c.private_key.reveal());
  w.Uint(3).Uint(c.cred_protect);
  w.Uint(4).Bool(!c.cred_random_uv.empty());
  w.Uint(5).Bytes(c.cred_blob);
  Bytes plain = w.Take();
  auto sealed = Aes256GcmSeal(state_.master_key.reveal(), rp_id_hash, plain);
  OPENSSL_cleanse(plain.data(), plain.size());
  if (!sealed) return Fail(sealed.error());
  Bytes id{internal::kWrappedIdVersion};
  id.insert(id.end(), sealed->begin(), sealed->end());
  return id;
}

std::optional<ResidentCredential> SoftAuthenticator::FindCredential(ByteSpan id,
                                                                    const std::string& rp_id) {
  for (const auto& c : state_.credentials) {
    if (c.rp_id == rp_id && c.id.size() == id.size() && ConstantTimeEqual(c.id, id)) return c;
  }
  if (id.size() < 2 || id[0] != internal::kWrappedIdVersion) return std::nullopt;
  auto rp_hash = Sha256(AsBytes(rp_id));
  auto plain = Aes256GcmOpen(state_.master_key.reveal(), rp_hash, id.subspan(1));
  if (!plain) return std::nullopt;
  auto decoded = DecodeCbor(plain->reveal());
  if (!decoded || !decoded->item.IsMap()) return std::nullopt;
  const CborItem& m = decoded->item;
  ResidentCredential c;
  c.id = ToBytes(id);
  c.rp_id = rp_id;
  auto alg = m.Find(1).GetInt();
  auto priv = m.Find(2).GetBytes();
  auto prot = m.Find(3).GetInt();
  auto hmac = m.Find(4).GetBool();
  auto blob = m.Find(5).GetBytes();
  if (!alg || !priv || !prot || !hmac || !blob) return std::nullopt;
  c.alg = static_cast<KeyAlg>(*alg);
  c.private_key = SecretBytes(*priv);
  c.cred_protect = static_cast<uint8_t>(*prot);
  if (*hmac) {
    c.cred_random_uv = CredRandom(c, true);
    c.cred_random_no_uv = CredRandom(c, false);
  }
  c.cred_blob = ToBytes(*blob);
  c.sequence = 0;
  return c;
}

}  // namespace keyward::softctap
