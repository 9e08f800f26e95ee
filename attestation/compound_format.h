// "compound" attestation (WebAuthn L3 §8.9): several attestation statements for one credential.
//
// attStmt = [ 2* { fmt: text, attStmt: <that format's statement> } ]
//  - at least two entries; none of them "compound" (kAttestationStatementMalformed);
//  - every inner statement is verified with its own format against the same authenticator data
//    and client data hash (its error is returned as is; unknown fmt →
//    kAttestationFormatUnsupported).
// The result lists every inner result (StatementResult::inner); its own type is the first inner
// statement's, its trust path empty. EvaluateTrust judges the inner statements.
#ifndef KEYWARD_ATTESTATION_COMPOUND_FORMAT_H_
#define KEYWARD_ATTESTATION_COMPOUND_FORMAT_H_

#include "attestation/format.h"

namespace keyward::attestation {

class CompoundFormat final : public AttestationFormat {
 public:
  std::string_view name() const override { return "compound"; }
  Result<StatementResult> Verify(const AttestationInput& input) const override;
};

}  // namespace keyward::attestation

#endif  // KEYWARD_ATTESTATION_COMPOUND_FORMAT_H_
