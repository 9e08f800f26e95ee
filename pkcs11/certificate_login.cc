#include "pkcs11/certificate_login.h"

#include <algorithm>

namespace keyward::pkcs11 {

Result<CertificatePolicy> CertificatePolicy::FromFiles(std::span<const std::string> ca_files,
                                                       std::span<const std::string> crl_files) {
  CertificatePolicy p;
  for (const std::string& f : ca_files) {
    KW_ASSIGN_OR_RETURN(std::string text, ReadFileToString(f, 16 << 20));
    if (text.find("-----BEGIN") != std::string::npos) {
      KW_ASSIGN_OR_RETURN(auto certs, Certificate::ParsePem(text));
      for (auto& c : certs) p.anchors.push_back(std::move(c));
    } else {
      KW_ASSIGN_OR_RETURN(auto c, Certificate::ParseDer(AsBytes(text), CertificateRole::kIssuer));
      p.anchors.push_back(std::move(c));
    }
  }
  if (p.anchors.empty()) return Fail(ErrorCode::kConfigInvalid, "no CA certificate configured");
  for (const std::string& f : crl_files) {
    KW_ASSIGN_OR_RETURN(std::string text, ReadFileToString(f, 64 << 20));
    KW_ASSIGN_OR_RETURN(X509CrlPtr crl, ParseCrl(AsBytes(text)));
    p.crls.emplace_back(crl.release(), X509_CRL_free);
  }
  return p;
}

CertificateSummary Summarize(const Certificate& cert) {
  CertificateSummary s;
  s.subject = cert.Subject();
  s.issuer = cert.Issuer();
  s.serial_hex = cert.SerialHex();
  s.fingerprint_sha256 = HexEncode(cert.Fingerprint());
  s.not_before = cert.NotBefore().value_or(0);
  s.not_after = cert.NotAfter().value_or(0);
  return s;
}

Result<ValidatedCertificate> ValidateLoginCertificate(const Certificate& leaf,
                                                      const CertificatePolicy& policy,
                                                      int64_t verify_time) {
  ChainOptions opts;
  opts.verify_time = verify_time;
  for (const auto& crl : policy.crls) opts.crls.push_back(crl.get());
  opts.require_crls = !policy.crls.empty();
  KW_ASSIGN_OR_RETURN(VerifiedChain chain,
                      VerifyChain(leaf, policy.intermediates, policy.anchors, opts));
  if (leaf.IsCa().value_or(false)) {
    return Fail(ErrorCode::kCertificateRequirementFailed, "a CA certificate cannot log in");
  }
  if (policy.require_digital_signature) {
    auto ku = leaf.KeyUsage();
    if (ku && (*ku & KU_DIGITAL_SIGNATURE) == 0) {
      return Fail(ErrorCode::kCertificateKeyUsageInvalid, "keyUsage lacks digitalSignature");
    }
  }
  if (!policy.insecure_skip_eku_check) {
    if (policy.accepted_ekus.empty()) {
      return Fail(ErrorCode::kConfigInvalid, "no accepted EKU configured");
    }
    auto ekus = leaf.ExtendedKeyUsages();
    bool ok = std::any_of(policy.accepted_ekus.begin(), policy.accepted_ekus.end(),
                          [&](const std::string& oid) {
                            return std::find(ekus.begin(), ekus.end(), oid) != ekus.end();
                          });
    if (!ok) return Fail(ErrorCode::kCertificateEkuMissing, "no accepted extendedKeyUsage");
  }
  ValidatedCertificate out{std::move(chain), {}};
  RevocationEvidence& ev = out.revocation;
  if (!policy.crls.empty()) {
    ev.method = "crl";
    ev.status = "good";
  }
  if (policy.ocsp) {
    ev.method = policy.crls.empty() ? "ocsp" : "crl+ocsp";
    if (out.chain.path.size() < 2) {
      return Fail(ErrorCode::kRevocationUnknown, "no issuer certificate for OCSP");
    }
    const Certificate& issuer = out.chain.path[1];
    auto answer = CheckOcsp(leaf, issuer, policy.anchors, *policy.ocsp, verify_time);
    if (!answer) {
      if (answer.error().code == ErrorCode::kOcspUnavailable &&
          policy.ocsp_failure == OcspFailurePolicy::kSoftFail) {
        ev.status = "soft_fail";
        ev.soft_fail_reason = std::string(ErrorCodeName(answer.error().code));
        ev.ocsp_url = policy.ocsp->url;
        return out;
      }
      return Fail(answer.error());
    }
    ev.ocsp_url = answer->url;
    ev.ocsp_this_update = answer->this_update;
    ev.ocsp_next_update = answer->next_update;
    ev.ocsp_cached = answer->from_cache;
    switch (answer->status) {
      case OcspAnswer::Status::kGood:
        ev.status = "good";
        break;
      case OcspAnswer::Status::kRevoked:
        return Fail(ErrorCode::kCertificateRevoked, "OCSP: certificate revoked");
      case OcspAnswer::Status::kUnknown:
        if (policy.ocsp_failure == OcspFailurePolicy::kSoftFail) {
          ev.status = "soft_fail";
          ev.soft_fail_reason = std::string(ErrorCodeName(ErrorCode::kRevocationUnknown));
        } else {
          return Fail(ErrorCode::kRevocationUnknown, "OCSP: certificate status unknown");
        }
        break;
    }
  }
  return out;
}

LoginVerifier::LoginVerifier(CertificatePolicy policy, MappingRules rules,
                             std::shared_ptr<ChallengeRegistry> registry)
    : policy_(std::move(policy)), rules_(std::move(rules)), registry_(std::move(registry)) {
  if (!registry_) registry_ = std::make_shared<ChallengeRegistry>();
}

Result<LoginChallenge> LoginVerifier::IssueChallenge(std::string context, std::string relying_host,
                                                     int64_t now) {
  return registry_->Issue(std::move(context), std::move(relying_host), now);
}

Result<LoginResult> LoginVerifier::Evaluate(const Certificate& cert, int64_t verify_time) const {
  KW_ASSIGN_OR_RETURN(ValidatedCertificate v, ValidateLoginCertificate(cert, policy_, verify_time));
  KW_ASSIGN_OR_RETURN(MappedAccount mapped, rules_.Map(cert));
  LoginResult r;
  r.account = std::move(mapped.account);
  r.rule = std::move(mapped.rule);
  r.mapping_source = std::move(mapped.source);
  r.certificate = Summarize(cert);
  r.trust_anchor = v.chain.anchor().Subject();
  r.revocation = std::move(v.revocation);
  return r;
}

Result<LoginResult> LoginVerifier::Verify(const LoginResponse& response,
                                          std::string_view expected_context,
                                          std::string_view expected_relying_host, int64_t now) {
  KW_ASSIGN_OR_RETURN(LoginChallenge challenge, registry_->Consume(response.nonce, expected_context,
                                                                   expected_relying_host, now));
  KW_ASSIGN_OR_RETURN(Certificate cert, Certificate::ParseDer(response.certificate_der));
  EVP_PKEY* key = cert.public_key();
  if (!key) return Fail(ErrorCode::kKeyMalformed, "certificate public key unreadable");
  KW_ASSIGN_OR_RETURN(PublicKey pub, PublicKey::FromEvp(key, response.algorithm, {}));
  KW_TRY(pub.Verify(challenge.SignedMessage(), response.signature, response.format));
  KW_ASSIGN_OR_RETURN(LoginResult r, Evaluate(cert, now));
  r.signature_algorithm = std::string(CoseAlgorithmName(response.algorithm));
  if (response.hardware_bound_key) {
    r.assurance = {"aal3", "hardware-bound key: " + response.key_storage};
  } else {
    r.assurance = {"aal2", "key not proven hardware-bound: " + response.key_storage};
  }
  return r;
}

}  // namespace keyward::pkcs11
