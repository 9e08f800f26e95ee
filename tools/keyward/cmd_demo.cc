// keyward demo: one principal, three kinds of credential, one API. Registers a synced passkey, an
// attested security key and a smart-card certificate in a SQLite store, logs in with each, hits a
// step-up (an "admin" action needs AAL3), satisfies it with the smart card, shows a replayed
// challenge being refused, verifies the audit chain, and prints every AuthResult.
//
// What is real: keyward's WebAuthn verification (webauthn/), packed attestation trust
// (attestation/), certificate path validation and signature checks (core/), the policy engine, the
// SQLite store and the audit log. What is simulated in-process: the authenticators themselves. The
// passkey and the security key are software WebAuthn authenticators defined below (real P-256 keys,
// real authenticator data, real signatures, packed attestation from a CA generated at start-up);
// the smart card is a P-256 key with a certificate from a demo CA, signing the login challenge in
// this process. Driving a real card (PC/SC + PKCS#11, software PIV card via vpcd) and a CTAP2 key
// through libfido2 are the pkcs11/ and fido/ areas; they plug in through
// CertificateLoginEvidence and the WebAuthn response JSON respectively.
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <iostream>
#include <memory>

#include "attestation/trust_store.h"
#include "core/base64url.h"
#include "core/cbor_writer.h"
#include "core/cose_key.h"
#include "core/hash.h"
#include "core/json.h"
#include "core/openssl_util.h"
#include "core/x509.h"
#include "keyward/authenticator.h"
#include "tools/keyward/command.h"

namespace keyward::cli {
namespace {

namespace authn = ::keyward::authenticator;

constexpr char kRpId[] = "demo.keyward.example";
constexpr char kOrigin[] = "https://demo.keyward.example";
constexpr uint8_t kUp = 0x01, kUv = 0x04, kBe = 0x08, kBs = 0x10, kAt = 0x40;
constexpr std::array<uint8_t, 16> kDemoAaguid = {0x6b, 0x65, 0x79, 0x77, 0x61, 0x72, 0x64, 0x2d,
                                                 0x64, 0x65, 0x6d, 0x6f, 0x2d, 0x6b, 0x65, 0x79};

// A P-256 key pair.
class DemoKey {
 public:
  static Result<DemoKey> Generate() {
    DemoKey k;
    k.key_.reset(EVP_EC_gen("P-256"));
    if (!k.key_) return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("EVP_EC_gen"));
    return k;
  }
  EVP_PKEY* pkey() const { return key_.get(); }
  Bytes CoseBytes() const {
    CoseKey c;
    c.kty = CoseKeyType::kEc2;
    c.alg = CoseAlgorithm::kES256;
    c.crv = CoseCurve::kP256;
    c.x = Param(OSSL_PKEY_PARAM_EC_PUB_X);
    c.y = Param(OSSL_PKEY_PARAM_EC_PUB_Y);
    return c.Encode();
  }
  Result<Bytes> Sign(ByteSpan message) const {
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    size_t len = 0;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size()) != 1) {
      return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("sign"));
    }
    Bytes sig(len);
    if (EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1) {
      return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("sign"));
    }
    sig.resize(len);
    return sig;
  }

 private:
  Bytes Param(const char* name) const {
    BIGNUM* bn = nullptr;
    Bytes out(32);
    if (EVP_PKEY_get_bn_param(key_.get(), name, &bn) == 1) {
      BN_bn2binpad(bn, out.data(), static_cast<int>(out.size()));
    }
    BN_free(bn);
    return out;
  }
  EvpPkeyPtr key_;
};

struct CertRequest {
  std::vector<std::pair<std::string, std::string>> subject;
  bool is_ca = false;
  std::string eku;  // OpenSSL config syntax, e.g. "clientAuth,1.3.6.1.4.1.311.20.2.2"
};

Result<Certificate> Issue(const DemoKey& subject_key, const CertRequest& req,
                          const DemoKey* issuer_key, const Certificate* issuer) {
  static long serial = 7000;  // NOLINT(runtime/int)
  X509Ptr x(X509_new());
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), ++serial);
  const int64_t now = UnixNow();
  ASN1_TIME_set(X509_getm_notBefore(x.get()), now - 3600);
  ASN1_TIME_set(X509_getm_notAfter(x.get()), now + 365 * 86400LL);
  X509_NAME* name = X509_get_subject_name(x.get());
  for (const auto& [k, v] : req.subject) {
    X509_NAME_add_entry_by_txt(name, k.c_str(), MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(v.c_str()), -1, -1, 0);
  }
  X509_set_issuer_name(x.get(), issuer ? X509_get_subject_name(issuer->get()) : name);
  X509_set_pubkey(x.get(), subject_key.pkey());
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer ? issuer->get() : x.get(), x.get(), nullptr, nullptr, 0);
  auto add = [&](int nid, const char* value) -> Result<void> {
    X509_EXTENSION* e = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (e == nullptr) return Fail(ErrorCode::kCryptoInternal, "extension");
    X509_add_ext(x.get(), e, -1);
    X509_EXTENSION_free(e);
    return Ok();
  };
  KW_TRY(add(NID_basic_constraints, req.is_ca ? "critical,CA:TRUE" : "CA:FALSE"));
  if (req.is_ca) KW_TRY(add(NID_key_usage, "critical,keyCertSign,cRLSign"));
  if (!req.eku.empty()) KW_TRY(add(NID_ext_key_usage, req.eku.c_str()));
  const DemoKey& signer = issuer_key ? *issuer_key : subject_key;
  if (X509_sign(x.get(), signer.pkey(), EVP_sha256()) <= 0) {
    return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("X509_sign"));
  }
  return Certificate::FromX509(x.get());
}

void Append(Bytes& out, ByteSpan b) { out.insert(out.end(), b.begin(), b.end()); }
void AppendU32(Bytes& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
}

// A software WebAuthn authenticator: makes genuine registration and assertion responses.
class SoftWebAuthn {
 public:
  static Result<SoftWebAuthn> Create() {
    SoftWebAuthn a;
    KW_ASSIGN_OR_RETURN(a.key_, DemoKey::Generate());
    KW_ASSIGN_OR_RETURN(a.credential_id_, RandomBytes(32));
    return a;
  }

  // `attestation`: sign a packed statement with this key + certificate (else fmt "none").
  Result<std::string> Register(ByteSpan challenge, uint8_t flags,
                               const std::pair<const DemoKey*, const Certificate*>* attestation,
                               std::string transport) const {
    Bytes auth_data;
    Append(auth_data, Sha256(AsBytes(kRpId)));
    auth_data.push_back(flags | kAt);
    AppendU32(auth_data, 0);
    Append(auth_data, attestation ? ByteSpan(kDemoAaguid) : ByteSpan(std::array<uint8_t, 16>{}));
    auth_data.push_back(0);
    auth_data.push_back(static_cast<uint8_t>(credential_id_.size()));
    Append(auth_data, credential_id_);
    Append(auth_data, key_.CoseBytes());
    const std::string cdj = ClientData("webauthn.create", challenge);
    CborWriter w;
    w.Map(3).Text("fmt").Text(attestation ? "packed" : "none").Text("attStmt");
    if (attestation) {
      Bytes signed_data = auth_data;
      Append(signed_data, Sha256(AsBytes(cdj)));
      KW_ASSIGN_OR_RETURN(Bytes sig, attestation->first->Sign(signed_data));
      w.Map(3).Text("alg").Int(-7).Text("sig").Bytes(sig).Text("x5c").Array(1).Bytes(
          attestation->second->der());
    } else {
      w.Map(0);
    }
    w.Text("authData").Bytes(auth_data);
    Json j = {{"id", Base64UrlEncode(credential_id_)},
              {"rawId", Base64UrlEncode(credential_id_)},
              {"type", "public-key"},
              {"response",
               {{"clientDataJSON", Base64UrlEncode(AsBytes(cdj))},
                {"attestationObject", Base64UrlEncode(w.Take())},
                {"transports", {transport}}}},
              {"clientExtensionResults", Json::object()}};
    return j.dump();
  }

  Result<std::string> Assert(ByteSpan challenge, uint8_t flags, ByteSpan user_handle) {
    Bytes auth_data;
    Append(auth_data, Sha256(AsBytes(kRpId)));
    auth_data.push_back(flags);
    // Synced passkeys keep the counter at 0; device-bound keys count.
    const uint32_t count = (flags & kBe) ? 0 : ++counter_;
    AppendU32(auth_data, count);
    const std::string cdj = ClientData("webauthn.get", challenge);
    Bytes signed_data = auth_data;
    Append(signed_data, Sha256(AsBytes(cdj)));
    KW_ASSIGN_OR_RETURN(Bytes sig, key_.Sign(signed_data));
    Json j = {{"id", Base64UrlEncode(credential_id_)},
              {"rawId", Base64UrlEncode(credential_id_)},
              {"type", "public-key"},
              {"response",
               {{"clientDataJSON", Base64UrlEncode(AsBytes(cdj))},
                {"authenticatorData", Base64UrlEncode(auth_data)},
                {"signature", Base64UrlEncode(sig)},
                {"userHandle", Base64UrlEncode(user_handle)}}},
              {"clientExtensionResults", Json::object()}};
    return j.dump();
  }

 private:
  static std::string ClientData(const char* type, ByteSpan challenge) {
    return Json{{"type", type},
                {"challenge", Base64UrlEncode(challenge)},
                {"origin", kOrigin},
                {"crossOrigin", false}}
        .dump();
  }
  DemoKey key_;
  Bytes credential_id_;
  uint32_t counter_ = 0;
};

constexpr char kDemoPolicy[] = R"({
  "extends": "ciam",
  "name": "demo",
  "allowed_kinds": ["passkey", "security_key", "smart_card"],
  "actions": {"login": "aal1", "admin": "aal3"}
})";

struct DemoOptions {
  std::string db = "keyward-demo.db";
  bool json = false;
};

class Demo {
 public:
  explicit Demo(const DemoOptions& o) : o_(o) {}

  int Run() {
    auto r = Steps();
    if (o_.json) {
      out_["ok"] = r.has_value();
      if (!r) {
        out_["error"] = {{"code", ErrorCodeName(r.error().code)}, {"message", r.error().detail}};
      }
      std::cout << out_.dump(2) << "\n";
    } else if (!r) {
      std::cerr << "keyward demo: " << r.error().ToString() << "\n";
    }
    if (!r) {
      const auto c = r.error().code;
      return (c == ErrorCode::kStoreIo || c == ErrorCode::kStoreBusy ||
              c == ErrorCode::kStoreCorrupt)
                 ? kExitEnvironment
                 : kExitRejected;
    }
    return kExitOk;
  }

 private:
  void Say(const std::string& step, const std::string& text, Json detail) {
    out_["steps"].push_back(Json{{"step", step}, {"detail", std::move(detail)}});
    if (!o_.json) std::cout << "== " << step << "\n   " << text << "\n";
  }
  void SayResult(const std::string& step, const authn::AuthResult& r) {
    Json j = ParseJson(authn::AuthResultToJson(r)).value_or(Json::object());
    if (!o_.json) {
      std::cout << "== " << step << "\n   " << CredentialKindName(r.kind) << " \""
                << r.credential.nickname << "\": " << AalName(r.assurance.level) << " ("
                << r.assurance.reason << "), decision " << DecisionName(r.decision.outcome)
                << "\n   AuthResult " << j.dump() << "\n";
    }
    out_["steps"].push_back(Json{{"step", step}, {"auth_result", j}});
  }

  Result<void> Steps() {
    out_ = Json{{"db", o_.db}, {"rp_id", kRpId}, {"steps", Json::array()}};
    // Demo PKI: an attestation CA for the security key and a smart-card CA.
    KW_ASSIGN_OR_RETURN(DemoKey att_ca_key, DemoKey::Generate());
    KW_ASSIGN_OR_RETURN(
        Certificate att_ca,
        Issue(att_ca_key,
              {{{"O", "keyward demo"}, {"CN", "keyward demo attestation root"}}, true, ""}, nullptr,
              nullptr));
    KW_ASSIGN_OR_RETURN(DemoKey att_key, DemoKey::Generate());
    KW_ASSIGN_OR_RETURN(Certificate att_cert, Issue(att_key,
                                                    {{{"C", "SE"},
                                                      {"O", "keyward demo"},
                                                      {"OU", "Authenticator Attestation"},
                                                      {"CN", "keyward demo security key"}},
                                                     false,
                                                     ""},
                                                    &att_ca_key, &att_ca));
    KW_ASSIGN_OR_RETURN(DemoKey sc_ca_key, DemoKey::Generate());
    KW_ASSIGN_OR_RETURN(
        Certificate sc_ca,
        Issue(sc_ca_key, {{{"O", "keyward demo"}, {"CN", "keyward demo smart-card CA"}}, true, ""},
              nullptr, nullptr));
    attestation::TrustStore trust;
    trust.AddRoot(att_ca);

    authn::AuthenticatorConfig config;
    config.db_path = o_.db;
    config.rp_id = kRpId;
    config.rp_name = "keyward demo";
    config.origins = {kOrigin};
    config.policy = kDemoPolicy;
    config.attestation_trust = &trust;
    config.smart_card_anchors = {ToBytes(sc_ca.der())};
    KW_ASSIGN_OR_RETURN(auto auth, authn::Authenticator::Open(config));

    KW_ASSIGN_OR_RETURN(Bytes suffix, RandomBytes(3));
    KW_ASSIGN_OR_RETURN(authn::Principal p,
                        auth->CreatePrincipal("demo-" + HexEncode(suffix), "Demo User"));
    Say("create_principal", "principal " + p.id + " (" + p.name + ")",
        ParseJson(authn::PrincipalToJson(p)).value_or(Json::object()));

    // 1. A synced passkey (BE/BS set, UV), attestation "none".
    KW_ASSIGN_OR_RETURN(SoftWebAuthn phone, SoftWebAuthn::Create());
    KW_ASSIGN_OR_RETURN(auto reg1, auth->BeginRegistration(p.id, authn::CredentialKind::kPasskey));
    KW_ASSIGN_OR_RETURN(std::string r1,
                        phone.Register(reg1.challenge, kUp | kUv | kBe | kBs, nullptr, "hybrid"));
    KW_ASSIGN_OR_RETURN(auto passkey, auth->FinishRegistration(reg1.ceremony_id, r1, "phone"));
    Say("register_passkey", "synced passkey registered (fmt none, backup eligible)",
        ParseJson(authn::CredentialToJson(passkey)).value_or(Json::object()));

    // 2. A device-bound security key with packed attestation from the demo CA.
    KW_ASSIGN_OR_RETURN(SoftWebAuthn key, SoftWebAuthn::Create());
    KW_ASSIGN_OR_RETURN(auto reg2,
                        auth->BeginRegistration(p.id, authn::CredentialKind::kSecurityKey));
    std::pair<const DemoKey*, const Certificate*> att{&att_key, &att_cert};
    KW_ASSIGN_OR_RETURN(std::string r2, key.Register(reg2.challenge, kUp | kUv, &att, "usb"));
    KW_ASSIGN_OR_RETURN(auto seckey,
                        auth->FinishRegistration(reg2.ceremony_id, r2, "security key"));
    Say("register_security_key",
        "security key registered (packed attestation, " + seckey.trust_status + " via " +
            seckey.trust_anchor + ")",
        ParseJson(authn::CredentialToJson(seckey)).value_or(Json::object()));

    // 3. A smart card: a key and a certificate from the smart-card CA.
    KW_ASSIGN_OR_RETURN(DemoKey card_key, DemoKey::Generate());
    KW_ASSIGN_OR_RETURN(Certificate card_cert, Issue(card_key,
                                                     {{{"O", "keyward demo"}, {"CN", "Demo User"}},
                                                      false,
                                                      "clientAuth,1.3.6.1.4.1.311.20.2.2"},
                                                     &sc_ca_key, &sc_ca));
    authn::CertificateEnrollment enrol;
    enrol.certificate = ToBytes(card_cert.der());
    enrol.nickname = "badge";
    KW_ASSIGN_OR_RETURN(auto card, auth->EnrollCertificate(p.id, enrol));
    Say("enroll_smart_card", "smart-card certificate enrolled (" + card.cert_subject + ")",
        ParseJson(authn::CredentialToJson(card)).value_or(Json::object()));

    authn::Session session;
    authn::LoginRequest req;
    req.principal_id = p.id;

    // 4. Log in with the passkey.
    KW_ASSIGN_OR_RETURN(auto l1, auth->BeginLogin(req));
    KW_ASSIGN_OR_RETURN(std::string a1,
                        phone.Assert(l1.challenge, kUp | kUv | kBe | kBs, p.user_handle));
    KW_ASSIGN_OR_RETURN(auto res1, auth->FinishLogin(l1.ceremony_id, a1, {}, &session));
    SayResult("login_passkey", res1);

    // 5. The "admin" action needs AAL3: the session (AAL2) must step up.
    auto denied = auth->Authorize(&session, "admin");
    if (denied || denied.error().code != ErrorCode::kStepUpRequired) {
      return Fail(ErrorCode::kInternal, "expected a step-up for admin");
    }
    Json pending = ParseJson(authn::DecisionToJson(*session.pending_step_up)).value_or(Json{});
    Say("authorize_admin", "step_up_required: " + pending.dump(),
        Json{{"code", ErrorCodeName(denied.error().code)}, {"pending_step_up", pending}});

    // 6. Step up with the smart card (the card signs the challenge; PIN verified by the card).
    authn::LoginRequest up = req;
    up.step_up_to = authn::Aal::kAal3;
    up.kinds = {authn::CredentialKind::kSmartCard};
    KW_ASSIGN_OR_RETURN(auto l2, auth->BeginLogin(up));
    authn::CertificateLoginEvidence ev;
    ev.certificate = ToBytes(card_cert.der());
    KW_ASSIGN_OR_RETURN(ev.signature, card_key.Sign(l2.challenge));
    ev.cose_alg = -7;
    ev.pin_verified = true;
    authn::RequestContext admin;
    admin.action = "admin";
    KW_ASSIGN_OR_RETURN(auto res2,
                        auth->FinishCertificateLogin(l2.ceremony_id, ev, admin, &session));
    SayResult("step_up_smart_card", res2);
    KW_TRY(auth->Authorize(&session, "admin"));
    Say("authorize_admin_again", "allowed: session is " + std::string(AalName(session.aal)),
        Json{{"session_aal", AalName(session.aal)}});

    // 7. Log in with the security key.
    KW_ASSIGN_OR_RETURN(auto l3, auth->BeginLogin(req));
    KW_ASSIGN_OR_RETURN(std::string a3, key.Assert(l3.challenge, kUp | kUv, p.user_handle));
    KW_ASSIGN_OR_RETURN(auto res3, auth->FinishLogin(l3.ceremony_id, a3, {}, &session));
    SayResult("login_security_key", res3);

    // 8. The same response again: the challenge is spent.
    auto replay = auth->FinishLogin(l3.ceremony_id, a3, {}, nullptr);
    if (replay || replay.error().code != ErrorCode::kChallengeReplayed) {
      return Fail(ErrorCode::kInternal, "expected the replay to be refused");
    }
    Say("replay_security_key", "refused: challenge_replayed",
        Json{{"code", ErrorCodeName(replay.error().code)}});

    // 9. The audit chain.
    KW_ASSIGN_OR_RETURN(auto v, auth->VerifyAuditChain());
    Say("audit_verify",
        "audit chain intact: " + std::to_string(v.records) + " records (keyward audit tail --db " +
            o_.db + ")",
        Json{{"records", v.records}, {"head_hash", v.head_hash}});
    return Ok();
  }

  DemoOptions o_;
  Json out_;
};

constexpr char kDemoHelp[] =
    R"(Registers a synced passkey, an attested security key and a smart-card
certificate for one new principal in a SQLite store (--db, default ./keyward-demo.db; an existing
store is reused and gets a new principal), logs in with each, triggers a step-up (the "admin"
action needs AAL3) satisfied by the smart card, shows a replayed challenge refused, and verifies
the audit chain.

The authenticators are simulated in-process (software WebAuthn authenticators with real keys and
signatures; a software key + certificate as the smart card); everything on the relying-party side
is keyward's real code path.

--json: {ok, db, rp_id, steps: [{step, detail} | {step, auth_result}]}, auth_result fields:
principal_id, principal_name, credential_id, credential_nickname, kind, aal, aal_reason,
user_verified, sign_count, risk {sign_count_regressed, backup_state_changed, first_use,
unused_long, days_since_last_use}, decision {outcome, required_aal, satisfying_kinds, reasons}.)";

Command MakeDemo(CLI::App& root) {
  auto* app =
      root.add_subcommand("demo", "One principal, a passkey, a security key and a smart card");
  app->footer(kDemoHelp);
  auto opts = std::make_shared<DemoOptions>();
  app->add_option("--db", opts->db, "credential store (SQLite file)");
  app->add_flag("--json", opts->json, "JSON output");
  return {app, [opts]() -> int { return Demo(*opts).Run(); }};
}

KEYWARD_REGISTER_COMMAND(5, MakeDemo);

}  // namespace
}  // namespace keyward::cli
