// Attestation policy enforcement (WebAuthn L3 §7.1 step 24: "If the attestation statement is
// not trustworthy ... the Relying Party SHOULD fail the registration ceremony" — as the RP's
// policy decides). The policy types are public (keyward/attestation.h); the ceremony calls
// CheckAttestationPolicy after the format verified and EvaluateTrust ran.
//
// Order of checks and their codes:
//  1. metadata (the argument, else the policy's) has an entry for the authenticator whose
//     governing status report marks it compromised      → kMetadataAuthenticatorRevoked (any
//     policy)
//  2. workforce: verdict untrusted                        → kAttestationUntrusted
//     workforce: verdict unverified (none/self, no anchor) → kAttestationTrustRequired
//  3. workforce with an AAGUID allow-list, AAGUID not in it → kAaguidNotAllowed
//  4. workforce with a minimum level: no metadata entry or a lower level
//                                                          → kMetadataCertificationInsufficient
#ifndef KEYWARD_ATTESTATION_POLICY_H_
#define KEYWARD_ATTESTATION_POLICY_H_

#include "attestation/format.h"
#include "attestation/trust_store.h"
#include "keyward/attestation.h"

namespace keyward::attestation {

Result<void> CheckAttestationPolicy(const AttestationPolicy& policy, std::string_view fmt,
                                    const StatementResult& statement, const TrustVerdict& verdict,
                                    const Aaguid& aaguid, const MetadataBlob* metadata);

}  // namespace keyward::attestation

#endif  // KEYWARD_ATTESTATION_POLICY_H_
