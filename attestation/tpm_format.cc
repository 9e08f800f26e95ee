#include "attestation/tpm_format.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <algorithm>

#include "attestation/tpm_structures.h"

namespace keyward::attestation {
namespace {

Unexpected Aik(const std::string& what) {
  return Fail(ErrorCode::kTpmAikCertificateInvalid, "tpm AIK certificate: " + what);
}

Unexpected PublicMismatch(const std::string& what) {
  return Fail(ErrorCode::kTpmPublicMismatch, "tpm pubArea: " + what);
}

// Big-endian unsigned integers compare equal ignoring leading zero bytes.
bool SameUnsigned(ByteSpan a, ByteSpan b) {
  while (!a.empty() && a.front() == 0) a = a.subspan(1);
  while (!b.empty() && b.front() == 0) b = b.subspan(1);
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

Result<void> CheckPubAreaMatchesCredential(const TpmtPublic& pub, const CoseKey& key) {
  if (pub.type == kTpmAlgRsa) {
    if (key.kty != CoseKeyType::kRsa) return PublicMismatch("RSA key, credential is not RSA");
    if (!SameUnsigned(pub.rsa_modulus, key.n)) return PublicMismatch("RSA modulus differs");
    uint32_t e = pub.rsa_exponent == 0 ? 65537u : pub.rsa_exponent;
    Bytes e_bytes = {static_cast<uint8_t>(e >> 24), static_cast<uint8_t>(e >> 16),
                     static_cast<uint8_t>(e >> 8), static_cast<uint8_t>(e)};
    if (!SameUnsigned(e_bytes, key.e)) return PublicMismatch("RSA exponent differs");
    if (pub.rsa_key_bits != pub.rsa_modulus.size() * 8) {
      return PublicMismatch("RSA keyBits does not match the modulus");
    }
    return Ok();
  }
  if (key.kty != CoseKeyType::kEc2 || !key.crv) {
    return PublicMismatch("ECC key, credential is not EC2");
  }
  uint16_t want_curve = 0;
  switch (*key.crv) {
    case CoseCurve::kP256:
      want_curve = kTpmEccNistP256;
      break;
    case CoseCurve::kP384:
      want_curve = kTpmEccNistP384;
      break;
    case CoseCurve::kP521:
      want_curve = kTpmEccNistP521;
      break;
    default:
      return PublicMismatch("credential curve has no TPM equivalent");
  }
  if (pub.ecc_curve != want_curve) return PublicMismatch("curve differs");
  if (!SameUnsigned(pub.ecc_x, key.x) || !SameUnsigned(pub.ecc_y, key.y)) {
    return PublicMismatch("ECC point differs");
  }
  return Ok();
}

bool HasAttribute(X509_NAME* name, const char* oid) {
  ASN1_OBJECT* obj = OBJ_txt2obj(oid, 1);
  bool found = obj && X509_NAME_get_index_by_OBJ(name, obj, -1) >= 0;
  ASN1_OBJECT_free(obj);
  return found;
}

}  // namespace

Result<void> CheckTpmAikCertificate(const Certificate& cert, const Aaguid& aaguid) {
  if (cert.version() != 3) return Aik("not version 3");
  if (!cert.SubjectIsEmpty()) return Aik("subject is not empty");
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr));
  ERR_clear_error();
  if (!names) return Aik("subjectAltName missing or malformed");
  bool manufacturer = false, model = false, version = false;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, i);
    if (gn->type != GEN_DIRNAME) continue;
    manufacturer |= HasAttribute(gn->d.directoryName, "2.23.133.2.1");
    model |= HasAttribute(gn->d.directoryName, "2.23.133.2.2");
    version |= HasAttribute(gn->d.directoryName, "2.23.133.2.3");
  }
  GENERAL_NAMES_free(names);
  if (!manufacturer || !model || !version) {
    return Aik("subjectAltName directoryName lacks TPM manufacturer/model/version");
  }
  auto eku = cert.ExtendedKeyUsages();
  if (std::find(eku.begin(), eku.end(), "2.23.133.8.3") == eku.end()) {
    return Aik("extendedKeyUsage lacks tcg-kp-AIKCertificate (2.23.133.8.3)");
  }
  auto ca = AttestationCertificateIsCa(cert);
  if (!ca.has_value() || *ca) return Aik("basicConstraints CA must be false");
  auto aaguid_check = CheckAaguidExtension(cert, aaguid);
  if (!aaguid_check) {
    if (aaguid_check.error().code == ErrorCode::kAttestationAaguidMismatch) return aaguid_check;
    return Aik(aaguid_check.error().detail);
  }
  return Ok();
}

Result<StatementResult> TpmFormat::Verify(const AttestationInput& input) const {
  const CborItem& stmt = input.att_stmt;
  if (!stmt.IsMap()) return Fail(ErrorCode::kAttestationStatementMalformed, "attStmt not a map");
  auto ver = stmt.Find("ver").GetText();
  if (!ver || *ver != "2.0") {
    return Fail(ErrorCode::kAttestationStatementMalformed, "tpm: ver is not \"2.0\"");
  }
  KW_ASSIGN_OR_RETURN(CoseAlgorithm alg, ReadAlg(stmt, "tpm"));
  auto sig = stmt.Find("sig").GetBytes();
  auto cert_info_bytes = stmt.Find("certInfo").GetBytes();
  auto pub_area_bytes = stmt.Find("pubArea").GetBytes();
  if (!sig || !cert_info_bytes || !pub_area_bytes) {
    return Fail(ErrorCode::kAttestationStatementMalformed, "tpm: sig, certInfo or pubArea missing");
  }
  if (stmt.Find("ecdaaKeyId")) {
    return Fail(ErrorCode::kAttestationStatementMalformed, "tpm: ECDAA is not supported");
  }
  if (!stmt.Find("x5c")) {
    return Fail(ErrorCode::kAttestationStatementMalformed, "tpm: x5c missing");
  }
  KW_ASSIGN_OR_RETURN(std::vector<Certificate> x5c, ReadX5c(stmt));

  // pubArea is the credential key.
  KW_ASSIGN_OR_RETURN(TpmtPublic pub, TpmtPublic::Parse(*pub_area_bytes));
  KW_TRY(CheckPubAreaMatchesCredential(pub, input.credential_key));

  // certInfo certifies that key and binds attToBeSigned.
  KW_ASSIGN_OR_RETURN(TpmsAttest attest, TpmsAttest::Parse(*cert_info_bytes));
  if (attest.magic != kTpmGeneratedValue) {
    return Fail(ErrorCode::kTpmAttestInvalid, "tpm certInfo: magic is not TPM_GENERATED_VALUE");
  }
  Bytes att_to_be_signed = AttToBeSigned(input);
  Bytes expected_extra = Digest(HashFor(alg), att_to_be_signed);
  if (!ConstantTimeEqual(attest.extra_data, expected_extra)) {
    return Fail(ErrorCode::kTpmAttestInvalid,
                "tpm certInfo: extraData != hash(authenticatorData ‖ clientDataHash)");
  }
  auto name_hash = TpmHashAlgorithm(pub.name_alg);
  if (!name_hash) {
    return Fail(ErrorCode::kTpmStructureMalformed, "tpm pubArea: nameAlg is not a known hash");
  }
  Bytes name = {static_cast<uint8_t>(pub.name_alg >> 8), static_cast<uint8_t>(pub.name_alg)};
  Bytes pub_digest = Digest(*name_hash, *pub_area_bytes);
  name.insert(name.end(), pub_digest.begin(), pub_digest.end());
  if (!ConstantTimeEqual(attest.attested_name, name)) {
    return Fail(ErrorCode::kTpmAttestInvalid,
                "tpm certInfo: attested name is not the name of pubArea");
  }

  // The AIK signed certInfo.
  const Certificate& aik = x5c.front();
  StatementResult result;
  InsecureAlgorithms insecure = input.insecure;
  if (alg == CoseAlgorithm::kRS1) {
    insecure.insecure_allow_rs1 = true;
    result.notes.push_back(
        "tpm: AIK signature uses RS1 (SHA-1); accepted for TPM attestation only, because TPMs "
        "in the field still emit it");
  }
  auto key = PublicKey::FromEvp(aik.public_key(), alg, insecure);
  if (!key) {
    return Fail(ErrorCode::kAttestationAlgorithmMismatch,
                "tpm: AIK key does not fit alg: " + key.error().detail);
  }
  auto verified = key->Verify(*cert_info_bytes, *sig);
  size_t field = alg == CoseAlgorithm::kES384 ? 48 : alg == CoseAlgorithm::kES512 ? 66 : 32;
  if (!verified && KeyTypeOf(alg) == CoseKeyType::kEc2 && sig->size() == 2 * field) {
    // Some TPM stacks hand over ECDSA as r ‖ s (TPMS_SIGNATURE_ECDSA) instead of DER.
    verified = key->Verify(*cert_info_bytes, *sig, SignatureFormat::kP1363);
  }
  if (!verified) {
    return Fail(ErrorCode::kAttestationSignatureInvalid, "tpm: AIK signature does not verify");
  }
  KW_TRY(CheckTpmAikCertificate(aik, input.aaguid));

  result.type = AttestationType::kAttCa;
  result.alg = alg;
  result.trust_path = std::move(x5c);
  return result;
}

}  // namespace keyward::attestation
