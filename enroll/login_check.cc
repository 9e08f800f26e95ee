#include "enroll/login_check.h"

#include "core/hash.h"
#include "pkcs11/card_login.h"

namespace keyward::enroll {

std::string ExpectedAccount(const UserRecord& user) {
  if (!user.sid.empty()) return user.sid;
  if (!user.upn.empty()) return user.upn;
  return user.email;
}

std::string MappingRuleFor(const UserRecord& user) {
  const char* source = !user.sid.empty() ? "sid" : !user.upn.empty() ? "upn" : "email";
  return std::string("rule enrolled-") + source +
         ": <EKU>smartcardLogon && <KU>digitalSignature => " + source + "\n";
}

LoginCheckResult RunLoginCheck(const LoginCheckRequest& request) {
  LoginCheckResult out;
  out.expected_account = ExpectedAccount(request.user);
  auto fail = [&](const Error& e) {
    out.passed = false;
    out.code = e.code;
    out.detail = e.detail;
    return out;
  };
  auto rules = pkcs11::MappingRules::Parse(MappingRuleFor(request.user));
  if (!rules) return fail(rules.error());
  pkcs11::CertificatePolicy policy;
  policy.anchors = request.anchors;
  pkcs11::LoginVerifier verifier(std::move(policy), std::move(*rules),
                                 std::make_shared<pkcs11::ChallengeRegistry>());
  pkcs11::CardLoginRequest req;
  req.module_path = request.module_path;
  req.pin = SecretBytes(request.pin.reveal());
  req.context = "keyward card enroll: login check";
  req.relying_host = "keyward-enroll";
  req.now = request.now ? request.now : UnixNow();
  auto r = pkcs11::RunCardLogin(req, verifier);
  if (!r) return fail(r.error());
  out.account = r->account;
  out.rule = r->rule;
  out.mapping_source = r->mapping_source;
  out.mechanism = r->mechanism;
  out.signature_algorithm = r->signature_algorithm;
  out.assurance = r->assurance.level;
  if (r->account != out.expected_account) {
    return fail(Error{ErrorCode::kMappingNoMatch, 0, "the login mapped to another account"});
  }
  if (!request.expected_certificate.empty()) {
    std::string fp = HexEncode(Sha256(request.expected_certificate));
    if (r->certificate.fingerprint_sha256 != fp) {
      return fail(Error{ErrorCode::kMappingNoMatch, 0,
                        "the login used another certificate than the one enrolled"});
    }
  }
  out.passed = true;
  return out;
}

}  // namespace keyward::enroll
