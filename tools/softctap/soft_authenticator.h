// A software CTAP 2.1 authenticator (CTAP 2.1 §6 "Authenticator API"): getInfo, makeCredential,
// getAssertion + getNextAssertion, clientPIN with PIN/UV auth protocols 2 and 1,
// credentialManagement (0x0A and the 0x41 preview command libfido2 1.12 sends), reset,
// authenticatorConfig and selection. Attestation is "packed" with a batch certificate issued by
// a test CA (attestation_certs.h).
//
// Strictness (what a real key answers): requests must be canonical CBOR (CTAP 2.1 §8 "Message
// Encoding") or CTAP2_ERR_INVALID_CBOR; a missing mandatory member is
// CTAP2_ERR_MISSING_PARAMETER, a member of the wrong type CTAP2_ERR_CBOR_UNEXPECTED_TYPE; a wrong
// pinUvAuthParam or a token without the needed permission is CTAP2_ERR_PIN_AUTH_INVALID.
//
// Not implemented: authenticatorLargeBlobs (0x0C; the largeBlobKey extension is), bio
// enrolment, U2F (CTAPHID_MSG), RSA and ES384 credentials.
//
// Thread safety: Handle() is serialised internally; the switches may be flipped from any thread.
#ifndef KEYWARD_TOOLS_SOFTCTAP_SOFT_AUTHENTICATOR_H_
#define KEYWARD_TOOLS_SOFTCTAP_SOFT_AUTHENTICATOR_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/cbor.h"
#include "keyward/result.h"
#include "tools/softctap/soft_crypto.h"
#include "tools/softctap/soft_state.h"

namespace keyward::softctap {

// Asked whenever the authenticator needs a touch. Returns ctap::kOk when the user touched,
// ctap::kKeepaliveCancel when the host cancelled, ctap::kUserActionTimeout when nobody touched.
class UserPresence {
 public:
  virtual ~UserPresence() = default;
  virtual uint8_t WaitForTouch() = 0;
};

// Presence that is always given immediately (direct tests, fuzzing, the CLI's soft device).
class ImmediatePresence final : public UserPresence {
 public:
  uint8_t WaitForTouch() override { return 0; }
};

// Switches a test can flip at any time.
struct SoftSwitches {
  // Device has built-in user verification (getInfo option "uv": true).
  std::atomic<bool> builtin_uv{false};
  // Whether the next built-in UV attempts succeed.
  std::atomic<bool> uv_succeeds{true};
  // authenticatorReset only within this many ms after power-up (CTAP 2.1 §6.6); 0 disables the
  // check.
  std::atomic<int> reset_window_ms{10000};
};

class SoftAuthenticator {
 public:
  // In memory only (nothing persisted).
  static Result<std::unique_ptr<SoftAuthenticator>> CreateInMemory();
  // Loads `path`, or creates a factory-fresh state there when it does not exist. Every change
  // is written back atomically before the response is returned.
  static Result<std::unique_ptr<SoftAuthenticator>> OpenFile(const std::string& path);

  ~SoftAuthenticator();
  SoftAuthenticator(const SoftAuthenticator&) = delete;
  SoftAuthenticator& operator=(const SoftAuthenticator&) = delete;

  // One authenticatorAPI request: command byte followed by CBOR parameters. Returns the status
  // byte followed by the CBOR response (if any).
  Bytes Handle(ByteSpan request, UserPresence& presence);

  // Simulates unplugging and plugging back in: new key agreement key and pinUvAuthToken,
  // consecutive-wrong-PIN soft block cleared, pending getNextAssertion dropped.
  void PowerCycle();

  SoftSwitches& switches() { return switches_; }
  Bytes aaguid() const;
  // The test CA's certificate (PEM), the trust anchor for this device's attestations.
  std::string CaCertificatePem() const;
  Bytes CaCertificateDer() const;
  uint8_t pin_retries() const;
  size_t resident_credential_count() const;
  uint32_t sign_count() const;

 private:
  struct Token {
    SecretBytes key;
    uint8_t permissions = 0;
    std::optional<std::string> rp_id;
    int64_t protocol = 0;
    bool in_use = false;
  };
  struct Candidate;
  struct PendingAssertion;
  struct EnumerationState;

  SoftAuthenticator(SoftState state, std::string path);
  Result<void> Persist();
  Result<void> NewPowerUpSecrets();

  Result<Bytes> Dispatch(uint8_t cmd, ByteSpan params, UserPresence& presence);
  Result<Bytes> GetInfo(ByteSpan params);
  Result<Bytes> MakeCredential(const CborItem& req, UserPresence& presence);
  Result<Bytes> GetAssertion(const CborItem& req, UserPresence& presence);
  Result<Bytes> GetNextAssertion(ByteSpan params);
  Result<Bytes> ClientPin(const CborItem& req, UserPresence& presence);
  Result<Bytes> CredentialManagement(const CborItem& req);
  Result<Bytes> Config(const CborItem& req);
  Result<Bytes> Reset(ByteSpan params, UserPresence& presence);
  Result<Bytes> Selection(ByteSpan params, UserPresence& presence);

  // clientPIN helpers.
  Result<SecretBytes> SharedSecret(const CborItem& key_agreement, int64_t protocol);
  Result<void> CheckPinHash(const SecretBytes& shared, int64_t protocol, ByteSpan pin_hash_enc);
  Result<SecretBytes> DecryptNewPin(const SecretBytes& shared, int64_t protocol,
                                    ByteSpan new_pin_enc);
  Result<Bytes> IssueToken(const SecretBytes& shared, int64_t protocol, uint8_t permissions,
                           std::optional<std::string> rp_id);
  // Verifies pinUvAuthParam over `message` with the current token and checks `permission` and
  // the token's RP ID (binding it to `rp_id` when unbound and rp_id is set).
  Result<void> VerifyToken(int64_t protocol, ByteSpan message, ByteSpan param, uint8_t permission,
                           const std::string* rp_id);
  // Built-in UV (the switch); returns ok, kUvInvalid or kUvBlocked.
  Result<void> BuiltinUv();

  // Credentials.
  Result<ResidentCredential> NewCredential(KeyAlg alg, uint8_t cred_protect, bool hmac_secret);
  SecretBytes CredRandom(const ResidentCredential& c, bool uv) const;
  Result<Bytes> WrapCredential(const ResidentCredential& c, ByteSpan rp_id_hash);
  std::optional<ResidentCredential> FindCredential(ByteSpan id, const std::string& rp_id);
  Result<Bytes> AuthData(const std::string& rp_id, uint8_t flags,
                         const ResidentCredential* attested, ByteSpan cose_public_key,
                         ByteSpan extensions);
  Result<Bytes> AssertionResponse(PendingAssertion& p, size_t index, bool first);

  mutable std::mutex mu_;
  SoftState state_;
  std::string path_;
  SoftSwitches switches_;
  std::optional<EcdhKey> key_agreement_;
  Token token_;
  uint8_t consecutive_pin_failures_ = 0;
  std::chrono::steady_clock::time_point power_on_;
  std::unique_ptr<PendingAssertion> pending_;
  std::unique_ptr<EnumerationState> enumeration_;
};

}  // namespace keyward::softctap

#endif  // KEYWARD_TOOLS_SOFTCTAP_SOFT_AUTHENTICATOR_H_
