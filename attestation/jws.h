// JSON Web Signature, compact serialization (RFC 7515 §7.1), as the FIDO Metadata BLOB (a JWT)
// and the Android SafetyNet attestation response use it: a protected header with "alg" and an
// "x5c" certificate chain (RFC 7515 §4.1.6: standard base64 DER, leaf first), a JSON payload and
// a signature by the leaf certificate's key.
//
// Only RS256 and ES256 (signature as r ‖ s, RFC 7518 §3.4) are accepted; "none" and every other
// alg is refused. Parsing does not verify; VerifyJwsSignature does, with the x5c leaf key. Chain
// validation is the caller's (it knows the root and the time).
#ifndef KEYWARD_ATTESTATION_JWS_H_
#define KEYWARD_ATTESTATION_JWS_H_

#include <string>
#include <vector>

#include "core/json.h"
#include "core/x509.h"

namespace keyward::attestation {

struct Jws {
  std::string alg;
  Json header;
  Json payload;
  std::string signing_input;  // BASE64URL(header) "." BASE64URL(payload)
  Bytes signature;
  std::vector<Certificate> x5c;  // leaf first
};

// `malformed` is the code for any structural defect (kMetadataMalformed, kSafetyNetInvalid).
Result<Jws> ParseJwsCompact(std::string_view text, ErrorCode malformed,
                            const JsonLimits& payload_limits = {});
// kSignatureInvalid / the given code when the signature does not verify with x5c[0]'s key.
Result<void> VerifyJwsSignature(const Jws& jws, ErrorCode invalid);

}  // namespace keyward::attestation

#endif  // KEYWARD_ATTESTATION_JWS_H_
