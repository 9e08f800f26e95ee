#include "pkcs11/signer.h"

#include <algorithm>

namespace keyward::pkcs11 {
namespace {

bool Listed(std::span<const CK_MECHANISM_TYPE> m, CK_MECHANISM_TYPE t) {
  return std::find(m.begin(), m.end(), t) != m.end();
}

}  // namespace

std::string_view SignSchemeName(SignScheme s) {
  switch (s) {
    case SignScheme::kEcdsa:
      return "CKM_ECDSA";
    case SignScheme::kRsaPkcs1:
      return "CKM_RSA_PKCS";
    case SignScheme::kRsaPss:
      return "CKM_RSA_PKCS_PSS";
  }
  return "unknown";
}

Result<SignScheme> ChooseScheme(KeyType key_type, std::span<const CK_MECHANISM_TYPE> mechanisms,
                                std::optional<SignScheme> preferred) {
  auto mech_of = [](SignScheme s) -> CK_MECHANISM_TYPE {
    switch (s) {
      case SignScheme::kEcdsa:
        return CKM_ECDSA;
      case SignScheme::kRsaPkcs1:
        return CKM_RSA_PKCS;
      case SignScheme::kRsaPss:
        return CKM_RSA_PKCS_PSS;
    }
    return CKM_VENDOR_DEFINED;
  };
  auto fits = [key_type](SignScheme s) {
    return key_type == KeyType::kEc ? s == SignScheme::kEcdsa
                                    : key_type == KeyType::kRsa && s != SignScheme::kEcdsa;
  };
  if (preferred) {
    if (!fits(*preferred) || !Listed(mechanisms, mech_of(*preferred))) {
      return Fail(ErrorCode::kPkcs11MechanismInvalid,
                  std::string(SignSchemeName(*preferred)) + " not available for this key");
    }
    return *preferred;
  }
  const SignScheme order[] = {SignScheme::kEcdsa, SignScheme::kRsaPss, SignScheme::kRsaPkcs1};
  for (SignScheme s : order) {
    if (fits(s) && Listed(mechanisms, mech_of(s))) return s;
  }
  return Fail(ErrorCode::kPkcs11MechanismInvalid, "token lists no usable signing mechanism");
}

Result<TokenSignature> SignMessage(Session& session, const PrivateKeyObject& key, ByteSpan message,
                                   std::optional<SignScheme> preferred) {
  KW_ASSIGN_OR_RETURN(auto mechanisms, session.Mechanisms());
  KW_ASSIGN_OR_RETURN(SignScheme scheme, ChooseScheme(key.key_type, mechanisms, preferred));
  TokenSignature out;
  out.scheme = scheme;
  switch (scheme) {
    case SignScheme::kEcdsa: {
      HashAlgorithm hash = HashAlgorithm::kSha256;
      out.algorithm = CoseAlgorithm::kES256;
      if (key.bits > 384) {
        hash = HashAlgorithm::kSha512;
        out.algorithm = CoseAlgorithm::kES512;
      } else if (key.bits > 256) {
        hash = HashAlgorithm::kSha384;
        out.algorithm = CoseAlgorithm::kES384;
      }
      Bytes digest = Digest(hash, message);
      CK_MECHANISM mech{CKM_ECDSA, nullptr, 0};
      KW_ASSIGN_OR_RETURN(out.signature, session.Sign(key, &mech, digest));
      out.format = SignatureFormat::kP1363;  // PKCS#11 ECDSA signatures are r || s
      return out;
    }
    case SignScheme::kRsaPkcs1: {
      Bytes digest = Digest(HashAlgorithm::kSha256, message);
      KW_ASSIGN_OR_RETURN(Bytes info, DigestInfo(HashAlgorithm::kSha256, digest));
      CK_MECHANISM mech{CKM_RSA_PKCS, nullptr, 0};
      KW_ASSIGN_OR_RETURN(out.signature, session.Sign(key, &mech, info));
      out.algorithm = CoseAlgorithm::kRS256;
      out.format = SignatureFormat::kDer;
      return out;
    }
    case SignScheme::kRsaPss: {
      Bytes digest = Digest(HashAlgorithm::kSha256, message);
      CK_RSA_PKCS_PSS_PARAMS params{CKM_SHA256, CKG_MGF1_SHA256, 32};
      CK_MECHANISM mech{CKM_RSA_PKCS_PSS, &params, sizeof(params)};
      KW_ASSIGN_OR_RETURN(out.signature, session.Sign(key, &mech, digest));
      out.algorithm = CoseAlgorithm::kPS256;
      out.format = SignatureFormat::kDer;
      return out;
    }
  }
  return Fail(ErrorCode::kInternal, "unreachable");
}

}  // namespace keyward::pkcs11
