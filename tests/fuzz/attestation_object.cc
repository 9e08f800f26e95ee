// Fuzz target: CBOR decoding (strict pre-pass + libcbor) of an attestationObject, its
// authenticator data, and every attestation statement format's verification procedure.
#include "attestation/registry.h"
#include "core/cbor.h"
#include "core/hash.h"
#include "core/public_key.h"
#include "webauthn/attestation_object.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace keyward;
  keyward::ByteSpan in(data, size);
  (void)DecodeCbor(in);
  auto obj = webauthn::AttestationObject::Parse(in);
  if (!obj || !obj->auth_data.attested_credential_data) return 0;
  const auto& acd = *obj->auth_data.attested_credential_data;
  auto key = PublicKey::FromCose(acd.key, InsecureAlgorithms{});
  if (!key) return 0;
  const attestation::AttestationFormat* fmt = attestation::FindFormat(obj->fmt);
  if (!fmt) return 0;
  Sha256Digest cdh{};
  attestation::AttestationInput input{obj->att_stmt, obj->auth_data.raw, cdh,
                                      obj->auth_data.rp_id_hash, acd.aaguid, acd.credential_id,
                                      acd.key, acd.credential_public_key, *key, 1735689600,
                                      InsecureAlgorithms{}};
  (void)fmt->Verify(input);
  return 0;
}
