#include "attestation/compound_format.h"

#include "attestation/registry.h"

namespace keyward::attestation {

Result<StatementResult> CompoundFormat::Verify(const AttestationInput& input) const {
  const CborItem& stmt = input.att_stmt;
  if (!stmt.IsArray() || stmt.ArraySize() < 2) {
    return Fail(ErrorCode::kAttestationStatementMalformed,
                "compound: attStmt must be an array of at least two statements");
  }
  StatementResult result;
  for (size_t i = 0; i < stmt.ArraySize(); ++i) {
    CborItem entry = stmt.At(i);
    std::string where = "compound[" + std::to_string(i) + "]";
    auto fmt = entry.Find("fmt").GetText();
    CborItem inner_stmt = entry.Find("attStmt");
    if (!entry.IsMap() || !fmt || !inner_stmt) {
      return Fail(ErrorCode::kAttestationStatementMalformed, where + ": fmt or attStmt missing");
    }
    if (*fmt == "compound") {
      return Fail(ErrorCode::kAttestationStatementMalformed, where + ": nested compound");
    }
    const AttestationFormat* format = FindFormat(*fmt);
    if (!format) {
      return Fail(ErrorCode::kAttestationFormatUnsupported,
                  where + ": fmt \"" + std::string(*fmt) + "\"");
    }
    AttestationInput inner_input{inner_stmt,
                                 input.auth_data,
                                 input.client_data_hash,
                                 input.rp_id_hash,
                                 input.aaguid,
                                 input.credential_id,
                                 input.credential_key,
                                 input.credential_key_cose,
                                 input.credential_public_key,
                                 input.verify_time,
                                 input.insecure,
                                 input.options};
    auto verified = format->Verify(inner_input);
    if (!verified) {
      Error e = verified.error();
      e.detail = where + " (" + std::string(*fmt) + "): " + e.detail;
      return Fail(std::move(e));
    }
    for (const auto& n : verified->notes) result.notes.push_back(where + ": " + n);
    result.inner.push_back({std::string(*fmt), std::move(*verified)});
  }
  result.type = result.inner.front().result.type;
  return result;
}

}  // namespace keyward::attestation
