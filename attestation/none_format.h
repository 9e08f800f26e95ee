// "none" attestation (WebAuthn L3 §8.7): attStmt must be an empty map; the type is None.
#ifndef KEYWARD_ATTESTATION_NONE_FORMAT_H_
#define KEYWARD_ATTESTATION_NONE_FORMAT_H_

#include "attestation/format.h"

namespace keyward::attestation {

class NoneFormat final : public AttestationFormat {
 public:
  std::string_view name() const override { return "none"; }
  Result<StatementResult> Verify(const AttestationInput& input) const override;
};

}  // namespace keyward::attestation

#endif  // KEYWARD_ATTESTATION_NONE_FORMAT_H_
