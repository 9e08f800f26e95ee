// The attestation statement format interface (WebAuthn L3 §6.5 "Attestation", §8 "Defined
// Attestation Statement Formats"). Every format lives in its own file behind this interface and
// is listed in registry.cc. A format's Verify runs the format's "verification procedure" and
// returns the attestation type and trust path; trust evaluation (does the path reach an anchor,
// what does metadata say) is separate (trust_store.h), so every format gets it the same way.
#ifndef KEYWARD_ATTESTATION_FORMAT_H_
#define KEYWARD_ATTESTATION_FORMAT_H_

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/cbor.h"
#include "core/cose_key.h"
#include "core/public_key.h"
#include "core/x509.h"
#include "keyward/attestation.h"

namespace keyward::attestation {

// WebAuthn L3 §6.5.4 attestation types.
enum class AttestationType { kNone, kSelf, kBasic, kAttCa, kAnonCa };
std::string_view AttestationTypeName(AttestationType type);  // "none", "self", "basic", ...

// Everything a verification procedure may look at (§8, "verification procedure inputs").
struct AttestationInput {
  const CborItem& att_stmt;  // the attStmt map
  ByteSpan auth_data;        // authenticatorData, exactly as signed
  const Sha256Digest& client_data_hash;
  ByteSpan rp_id_hash;  // 32 bytes inside auth_data
  const Aaguid& aaguid;
  ByteSpan credential_id;
  const CoseKey& credential_key;  // parsed credentialPublicKey
  ByteSpan credential_key_cose;   // its exact bytes in auth_data
  const PublicKey& credential_public_key;
  int64_t verify_time = 0;        // Unix seconds, for freshness windows (SafetyNet)
  InsecureAlgorithms insecure{};  // caller's opt-ins (RS1)
  AttestationOptions options{};   // per-format options (SafetyNet window, android-key TEE)
};

struct InnerStatement;  // compound (§8.9): one verified inner statement

struct StatementResult {
  AttestationType type = AttestationType::kNone;
  // Attestation certificate first, as x5c orders it. Empty for none/self.
  std::vector<Certificate> trust_path;
  std::optional<CoseAlgorithm> alg;  // the statement's signature algorithm, if any
  // Human-readable remarks a verdict should carry (e.g. accepted legacy RS1 AIK signature).
  std::vector<std::string> notes;
  // compound only: every inner statement, in attStmt order (all verified).
  std::vector<InnerStatement> inner;
};

struct InnerStatement {
  std::string fmt;
  StatementResult result;
};

class AttestationFormat {
 public:
  virtual ~AttestationFormat() = default;
  virtual std::string_view name() const = 0;  // the fmt identifier, e.g. "packed"
  virtual Result<StatementResult> Verify(const AttestationInput& input) const = 0;
};

// Helpers shared by formats.
// Reads attStmt["x5c"] as a non-empty array of DER certificates.
Result<std::vector<Certificate>> ReadX5c(const CborItem& att_stmt);
// The FIDO AAGUID certificate extension (1.3.6.1.4.1.45724.1.1.4): when present it must be
// non-critical and equal `aaguid` (kAttestationAaguidMismatch / kAttestationCertificateInvalid).
Result<void> CheckAaguidExtension(const Certificate& cert, const Aaguid& aaguid);
// The cA component of an attestation certificate's basicConstraints (RFC 5280 §4.2.1.9), for the
// "CA component false" requirements (packed §8.2.1, tpm §8.3.1). nullopt when the extension is
// absent, does not decode, or is not DER — with one exception real devices need: Chromium's
// virtual authenticator (and the Chrome releases that shipped it) wrote cA FALSE out explicitly
// (extnValue 30 03 01 01 00; DER omits a DEFAULT value, X.690 §11.5). That encoding, and only
// it (the DER encoding with an explicit BOOLEAN FALSE first), reads as false. Any TRUE (BER
// allows any non-zero octet) reads as true.
std::optional<bool> AttestationCertificateIsCa(const Certificate& cert);
// authenticatorData ‖ clientDataHash (attToBeSigned, §8).
Bytes AttToBeSigned(const AttestationInput& input);
// True when the certificate's subject public key is the credential public key.
bool CertificateKeyIsCredentialKey(const Certificate& cert, const AttestationInput& input);
// Reads attStmt["alg"] as a COSE algorithm keyward knows (kAttestationStatementMalformed when
// absent, kUnsupportedAlgorithm when unknown).
Result<CoseAlgorithm> ReadAlg(const CborItem& att_stmt, std::string_view fmt);

}  // namespace keyward::attestation

#endif  // KEYWARD_ATTESTATION_FORMAT_H_
