// Authenticator data (WebAuthn L3 §6.1) and attested credential data (§6.5.2).
//
//   rpIdHash(32) ‖ flags(1) ‖ signCount(4 BE) ‖ [attestedCredentialData] ‖ [extensions]
//   attestedCredentialData = aaguid(16) ‖ credentialIdLength(2 BE) ‖ credentialId ‖
//                            credentialPublicKey (COSE_Key, CBOR)
//
// Parse enforces: at least 37 bytes; AT ⇔ attested credential data present; credentialId at
// most 1023 bytes (§6.5.2); a well-formed COSE_Key (core/cose_key.h); ED ⇔ an extensions CBOR map
// present; no bytes after the last structure. Flag semantics (UP, UV, BE/BS) are checked by the
// ceremonies, which know what the relying party requires.
#ifndef KEYWARD_WEBAUTHN_AUTHENTICATOR_DATA_H_
#define KEYWARD_WEBAUTHN_AUTHENTICATOR_DATA_H_

#include <array>
#include <optional>

#include "core/bytes.h"
#include "core/cbor.h"
#include "core/cose_key.h"
#include "keyward/webauthn.h"

namespace keyward::webauthn {

struct AttestedCredentialData {
  Aaguid aaguid{};
  ByteSpan credential_id;          // view into the authenticator data
  ByteSpan credential_public_key;  // exact COSE bytes, view into the authenticator data
  CoseKey key;
};

struct AuthenticatorData {
  static constexpr uint8_t kFlagUp = 0x01;
  static constexpr uint8_t kFlagUv = 0x04;
  static constexpr uint8_t kFlagBe = 0x08;
  static constexpr uint8_t kFlagBs = 0x10;
  static constexpr uint8_t kFlagAt = 0x40;
  static constexpr uint8_t kFlagEd = 0x80;
  static constexpr size_t kMaxCredentialIdLength = 1023;

  ByteSpan raw;  // the whole authenticator data (views below point into it)
  ByteSpan rp_id_hash;
  uint8_t flags = 0;
  uint32_t sign_count = 0;
  std::optional<AttestedCredentialData> attested_credential_data;
  CborItem extensions;  // null when ED is not set

  // `data` must outlive the result.
  static Result<AuthenticatorData> Parse(ByteSpan data);

  AuthenticatorFlags Flags() const;
};

}  // namespace keyward::webauthn

#endif  // KEYWARD_WEBAUTHN_AUTHENTICATOR_DATA_H_
