#include "attestation/none_format.h"

namespace keyward::attestation {

Result<StatementResult> NoneFormat::Verify(const AttestationInput& input) const {
  if (!input.att_stmt.IsMap() || input.att_stmt.MapSize() != 0) {
    return Fail(ErrorCode::kAttestationStatementMalformed, "none: attStmt must be an empty map");
  }
  StatementResult result;
  result.type = AttestationType::kNone;
  return result;
}

}  // namespace keyward::attestation
