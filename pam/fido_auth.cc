// The security-key method: the user's enrolled credentials (a file only the user and root can
// read), a fresh challenge in a WebAuthn clientDataJSON for origin pam://HOST, getAssertion
// through libfido2 with a bounded touch wait, and keyward's WebAuthn verification of the
// assertion (RP ID hash, UP / UV flags, signature, sign counter: a regression is refused). The new
// counter is stored before the login succeeds.
#include <sys/stat.h>

#include <chrono>
#include <thread>

#include "core/base64url.h"
#include "core/hash.h"
#include "keyward/webauthn.h"
#include "pam/authenticate.h"
#include "pam/fido_credentials.h"
#include "pam/fido_store.h"

namespace keyward::pam {
namespace {

Outcome Failed(ErrorCode code, std::string facts = {}) {
  Outcome o;
  o.code = code;
  o.pam_code = PamCodeFor(code);
  o.facts = std::move(facts);
  return o;
}

// The proof verified and the counter stored.
Outcome Succeeded(const std::string& cred_fact, uint32_t sign_count, bool user_verified) {
  Outcome o;
  o.ok = true;
  o.pam_code = 0;  // PAM_SUCCESS
  o.facts = cred_fact + " sign_count=" + std::to_string(sign_count) +
            " uv=" + (user_verified ? "yes" : "no");
  return o;
}

class HidDevice final : public FidoDeviceHandle {
 public:
  explicit HidDevice(fido::Device d) : device_(std::move(d)) {}
  fido::Device& device() override { return device_; }

 private:
  fido::Device device_;
};

// The store for the log line: a SQLite path, or a PostgreSQL URL without its password.
std::string StoreLabel(const std::string& url) {
  auto u = authenticator::ParseStoreUrl(url);
  return LogSafe(u ? u->Redacted() : std::string("invalid"));
}

}  // namespace

Result<std::unique_ptr<FidoDeviceHandle>> OpenHidFidoDevice(const ServicePolicy& policy) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(policy.fido_wait);
  for (;;) {
    std::string path = policy.fido_device;
    if (path.empty()) {
      auto list = fido::ListDevices();
      if (list && !list->empty()) path = (*list)[0].path;
    }
    if (!path.empty()) {
      auto d = fido::Device::Open(path);
      if (d) return std::unique_ptr<FidoDeviceHandle>(new HidDevice(std::move(*d)));
      if (d.error().code != ErrorCode::kFidoDeviceNotFound &&
          d.error().code != ErrorCode::kFidoDeviceError)
        return Fail(d.error());
    }
    if (std::chrono::steady_clock::now() >= deadline)
      return Fail(ErrorCode::kFidoDeviceNotFound, "no security key present");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

Outcome FidoAuthenticate(const ServicePolicy& policy, const Attempt& attempt, const LocalUser& user,
                         Conversation& conv, const Hooks& hooks) {
  const std::string rp_id =
      policy.fido_origin.empty() ? "pam://" + attempt.hostname : policy.fido_origin;
  // Where the credentials live: the user's file, or a keyward store (fido_store).
  std::optional<std::string> path;
  std::unique_ptr<PamFidoStore> store;
  std::string principal_id;
  std::vector<PamFidoCredential> creds;
  if (policy.fido_store.empty()) {
    auto p = ExpandCredentialPath(policy.fido_credentials, user.name, user.home);
    if (!p) return Failed(p.error().code);
    path = *p;
    auto stored = ReadCredentialFile(*path, user.uid);
    if (!stored) return Failed(stored.error().code);
    creds = std::move(*stored);
  } else {
    auto opened = PamFidoStore::Open(policy.fido_store, /*create=*/false);
    if (!opened) return Failed(opened.error().code, "store=" + StoreLabel(policy.fido_store));
    store = std::move(*opened);
    auto read = store->Read(user.name, rp_id);
    if (!read) {
      return Failed(read.error().code, "store=" + StoreLabel(policy.fido_store) + " rp=" + rp_id);
    }
    principal_id = read->principal_id;
    creds = std::move(read->credentials);
  }
  const std::string where = store ? " store=" + StoreLabel(policy.fido_store) : "";
  std::vector<Bytes> allow;
  for (const auto& c : creds) {
    if (c.rp_id == rp_id) allow.push_back(c.id);
  }
  if (allow.empty()) return Failed(ErrorCode::kPamNotEnrolled, "rp=" + rp_id);

  if (!hooks.open_fido) return Failed(ErrorCode::kInternal);
  if (policy.fido_wait > 0) conv.Info("Insert your security key.");
  auto handle = hooks.open_fido(policy);
  if (!handle) return Failed(handle.error().code);
  fido::Device& dev = (*handle)->device();
  dev.SetTimeout(std::chrono::seconds(policy.fido_timeout));

  std::optional<SecretBytes> pin;
  if (policy.fido_verification == FidoVerification::kPin) {
    // A cancelled or failed prompt is a failure, never "no PIN" (pam_u2f CVE-2021-31924).
    auto answer = conv.AskSecret("PIN for your security key: ");
    if (!answer) return Failed(ErrorCode::kPamConversationFailed);
    if (answer->empty()) return Failed(ErrorCode::kPinRequired);
    pin = std::move(*answer);
  }

  auto challenge = RandomBytes(32);
  if (!challenge) return Failed(challenge.error().code);
  const std::string client_data = fido::MakeClientDataJson("webauthn.get", *challenge, rp_id);
  auto hash = Sha256(AsBytes(client_data));
  fido::GetAssertionRequest req;
  req.rp_id = rp_id;
  req.client_data_hash.assign(hash.begin(), hash.end());
  req.allow_list = allow;
  req.user_presence = true;
  if (policy.fido_verification == FidoVerification::kUv) req.user_verification = true;
  if (policy.fido_cue) conv.Info("Touch your security key.");
  auto assertions = dev.GetAssertion(req, pin ? &*pin : nullptr);
  if (!assertions) return Failed(assertions.error().code, "rp=" + rp_id);
  if (assertions->empty()) return Failed(ErrorCode::kFidoNoCredentials, "rp=" + rp_id);
  const fido::Assertion& a = assertions->front();
  Bytes id = a.credential_id;
  if (id.empty() && allow.size() == 1) id = allow[0];  // CTAP 2.1 §6.2.2: may be omitted
  PamFidoCredential* cred = nullptr;
  for (auto& c : creds) {
    if (c.rp_id == rp_id && c.id == id) cred = &c;
  }
  if (!cred) return Failed(ErrorCode::kCredentialNotAllowed, "rp=" + rp_id);
  const std::string cred_fact =
      "rp=" + rp_id + " credential=" + Base64UrlEncode(id).substr(0, 16) + where;

  webauthn::AuthenticationResponse response;
  response.id = id;
  response.raw_id = id;
  response.client_data_json = client_data;
  response.authenticator_data = a.auth_data;
  response.signature = a.signature;
  webauthn::AssertionExpectations expect;
  expect.challenge = *challenge;
  expect.rp_id = rp_id;
  expect.origin.origins = {rp_id};
  expect.require_user_verification = policy.fido_verification != FidoVerification::kPresence;
  expect.credential_id = id;
  expect.credential_public_key = cred->public_key;
  expect.prior_sign_count = cred->sign_count;
  expect.allow_credentials = allow;
  expect.sign_count_policy = webauthn::SignCountPolicy::kReject;
  auto verified = webauthn::VerifyAssertion(response, expect);
  if (!verified) {
    if (store) store->RecordFailure(principal_id, id, verified.error().code, attempt.service);
    return Failed(verified.error().code,
                  cred_fact + " stored_count=" + std::to_string(cred->sign_count));
  }

  // Store the counter before saying yes: in the store by compare-and-set (a counter that moved
  // since it was read is a racing login, refused); in the file keeping its owner.
  if (store) {
    if (auto w = store->RecordLogin(principal_id, id, cred->sign_count, verified->sign_count,
                                    verified->flags.backup_state, attempt.service);
        !w) {
      store->RecordFailure(principal_id, id, w.error().code, attempt.service);
      return Failed(w.error().code, cred_fact);
    }
    return Succeeded(cred_fact, verified->sign_count, verified->flags.user_verified);
  }
  cred->sign_count = verified->sign_count;
  struct stat st {};
  if (stat(path->c_str(), &st) != 0) return Failed(ErrorCode::kIo, cred_fact);
  if (auto w = WriteCredentialFile(*path, creds, st.st_uid, st.st_gid, false); !w) {
    return Failed(w.error().code, cred_fact);
  }
  return Succeeded(cred_fact, verified->sign_count, verified->flags.user_verified);
}

}  // namespace keyward::pam
