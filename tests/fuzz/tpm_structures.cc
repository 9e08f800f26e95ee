// Fuzz target: the TPM 2.0 structures of WebAuthn "tpm" attestation (attestation/tpm_structures.h).
// The first byte selects the structure: even → TPMS_ATTEST (certInfo), odd → TPMT_PUBLIC
// (pubArea). A parsed structure's sized fields must lie within the input.
#include "attestation/tpm_structures.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace keyward;
  using namespace keyward::attestation;
  if (size == 0) return 0;
  ByteSpan in(data + 1, size - 1);
  if ((data[0] & 1) == 0) {
    auto a = TpmsAttest::Parse(in);
    if (a &&
        a->extra_data.size() + a->attested_name.size() + a->qualified_signer.size() > in.size()) {
      std::abort();
    }
  } else {
    auto p = TpmtPublic::Parse(in);
    if (p && p->rsa_modulus.size() + p->ecc_x.size() + p->ecc_y.size() > in.size()) std::abort();
  }
  return 0;
}
