// keyward demo: one principal, three kinds of credential, one API, on real authenticator stacks.
// Registers a passkey and a security key on keyward's software CTAP 2.1 authenticator driven
// through libfido2 (tools/softctap behind fido_dev_set_io_functions, exactly as `keyward fido
// --device soft:FILE` does), and, when a PIV card is named with --provision-card, a smart card:
// a P-256 key generated ON the card in slot 9A, a certificate from a demo smart-card CA written
// to it, and the login challenge signed on the card (PC/SC + PIV GENERAL AUTHENTICATE after
// VERIFY PIN). scripts/main-job runs it under scripts/with-pcscd with the software PIV card
// (keyward-softpiv on pcscd's vpcd driver); without a card the demo says why the smart-card part
// was skipped and steps up with the security key instead.
//
// Then: logs in with each, hits a step-up (an "admin" action needs AAL3), satisfies it, shows a
// replayed response refused, verifies the audit chain, and prints every AuthResult. The relying
// party side is keyward's real code path (WebAuthn verification, packed attestation trust,
// certificate path validation with a CRL at every card login, policy, SQLite store, audit log).
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include "attestation/trust_store.h"
#include "core/base64url.h"
#include "core/hash.h"
#include "core/json.h"
#include "core/openssl_util.h"
#include "core/x509.h"
#include "keyward/authenticator.h"
#include "keyward/fido.h"
#include "keyward/pcsc.h"
#include "tools/keyward/command.h"
#include "tools/softctap/soft_authenticator.h"
#include "tools/softctap/soft_hid_device.h"

namespace keyward::cli {
namespace {

namespace authn = ::keyward::authenticator;
namespace piv = ::keyward::pcsc::piv;

constexpr char kRpId[] = "demo.keyward.example";
constexpr char kOrigin[] = "https://demo.keyward.example";
constexpr std::chrono::seconds kCardWait{15};
// The software PIV card's factory PIN (tools/softpiv); --card-pin-fd gives another one.
constexpr std::string_view kSoftCardPin = "123456";

// A P-256 key pair (the demo smart-card CA).
class DemoKey {
 public:
  static Result<DemoKey> Generate() {
    DemoKey k;
    k.key_.reset(EVP_EC_gen("P-256"));
    if (!k.key_) return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("EVP_EC_gen"));
    return k;
  }
  EVP_PKEY* pkey() const { return key_.get(); }

 private:
  EvpPkeyPtr key_;
};

struct CertRequest {
  std::vector<std::pair<std::string, std::string>> subject;
  bool is_ca = false;
  std::string eku;  // OpenSSL config syntax, e.g. "clientAuth,1.3.6.1.4.1.311.20.2.2"
};

// A certificate for `subject_key` (public part) signed by `issuer_key` (self-signed when null).
Result<Certificate> Issue(EVP_PKEY* subject_key, const CertRequest& req, const DemoKey* issuer_key,
                          const Certificate* issuer) {
  X509Ptr x(X509_new());
  X509_set_version(x.get(), 2);
  KW_ASSIGN_OR_RETURN(Bytes serial, RandomBytes(8));
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x.get()));
  BN_free(bn);
  const int64_t now = UnixNow();
  ASN1_TIME_set(X509_getm_notBefore(x.get()), now - 3600);
  ASN1_TIME_set(X509_getm_notAfter(x.get()), now + 365 * 86400LL);
  X509_NAME* name = X509_get_subject_name(x.get());
  for (const auto& [k, v] : req.subject) {
    X509_NAME_add_entry_by_txt(name, k.c_str(), MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(v.c_str()), -1, -1, 0);
  }
  X509_set_issuer_name(x.get(), issuer ? X509_get_subject_name(issuer->get()) : name);
  X509_set_pubkey(x.get(), subject_key);
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
  KW_TRY(
      add(NID_key_usage, req.is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature"));
  if (!req.eku.empty()) KW_TRY(add(NID_ext_key_usage, req.eku.c_str()));
  EVP_PKEY* signer = issuer_key ? issuer_key->pkey() : subject_key;
  if (X509_sign(x.get(), signer, EVP_sha256()) <= 0) {
    return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("X509_sign"));
  }
  return Certificate::FromX509(x.get());
}

// An empty CRL of the demo CA (DER): every card login re-checks revocation against it.
Result<Bytes> EmptyCrl(const DemoKey& ca_key, const Certificate& ca) {
  X509CrlPtr crl(X509_CRL_new());
  if (!crl || X509_CRL_set_version(crl.get(), 1) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca.get())) != 1) {
    return Fail(ErrorCode::kCryptoInternal, "CRL");
  }
  const int64_t now = UnixNow();
  ASN1_TIME* t = ASN1_TIME_set(nullptr, static_cast<time_t>(now - 60));
  ASN1_TIME* n = ASN1_TIME_set(nullptr, static_cast<time_t>(now + 7 * 86400));
  X509_CRL_set1_lastUpdate(crl.get(), t);
  X509_CRL_set1_nextUpdate(crl.get(), n);
  ASN1_TIME_free(t);
  ASN1_TIME_free(n);
  if (X509_CRL_sign(crl.get(), ca_key.pkey(), EVP_sha256()) <= 0) {
    return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("X509_CRL_sign"));
  }
  unsigned char* der = nullptr;
  const int len = i2d_X509_CRL(crl.get(), &der);
  if (len <= 0) return Fail(ErrorCode::kCryptoInternal, "i2d_X509_CRL");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

// keyward's software CTAP 2.1 authenticator, opened through libfido2 (custom HID I/O), with a
// random PIN for user verification. The demo plays the browser: it turns the relying party's
// options into libfido2 requests and the results into WebAuthn response JSON.
class SoftSecurityKey {
 public:
  static Result<std::unique_ptr<SoftSecurityKey>> Create() {
    std::unique_ptr<SoftSecurityKey> k(new SoftSecurityKey());
    KW_ASSIGN_OR_RETURN(k->soft_, softctap::SoftAuthenticator::CreateInMemory());
    k->hid_ = std::make_unique<softctap::SoftHidDevice>(k->soft_.get());
    KW_ASSIGN_OR_RETURN(fido::Device d, fido::Device::OpenTransport(k->hid_.get()));
    k->device_.emplace(std::move(d));
    k->device_->SetTimeout(std::chrono::seconds(30));
    KW_ASSIGN_OR_RETURN(Bytes pin, RandomBytes(6));
    k->pin_ = SecretBytes(HexEncode(pin));
    KW_TRY(k->device_->SetPin(k->pin_));
    return k;
  }
  ~SoftSecurityKey() {
    device_.reset();  // libfido2 closes the transport first
    hid_.reset();
  }
  // The root the key's packed attestation chains to.
  Bytes CaCertificateDer() const { return soft_->CaCertificateDer(); }
  Bytes aaguid() const { return soft_->aaguid(); }

  // navigator.credentials.create() for the RP's creation options.
  Result<std::string> Create(const authn::CeremonyStart& start, const authn::Principal& p) {
    KW_ASSIGN_OR_RETURN(Json o, ParseJson(start.options_json));
    const std::string cdj = fido::MakeClientDataJson("webauthn.create", start.challenge, kOrigin);
    fido::MakeCredentialRequest req;
    req.rp_id = o["rp"].value("id", std::string());
    req.rp_name = o["rp"].value("name", std::string());
    req.user_id = p.user_handle;
    req.user_name = p.name;
    req.user_display_name = p.display_name;
    const auto h = Sha256(AsBytes(cdj));
    req.client_data_hash.assign(h.begin(), h.end());
    req.resident_key = o["authenticatorSelection"].value("residentKey", "") == "required";
    req.user_verification = true;  // the PIN is set: always verify the user
    if (auto ex = o.find("excludeCredentials"); ex != o.end()) {
      for (const auto& c : *ex) {
        KW_ASSIGN_OR_RETURN(Bytes id, Base64UrlDecode(c.value("id", std::string())));
        req.exclude_list.push_back(std::move(id));
      }
    }
    KW_ASSIGN_OR_RETURN(fido::Credential cred, device_->MakeCredential(req, &pin_));
    Bytes attestation_object;
    if (o.value("attestation", "none") == "none") {
      // WebAuthn L3 §5.1.3: for conveyance "none" the client replaces the statement with
      // fmt "none" and zeroes the AAGUID (authenticator data offset 37, after rpIdHash, flags
      // and the counter).
      Bytes auth_data = cred.auth_data;
      if (auth_data.size() < 53) return Fail(ErrorCode::kAuthenticatorDataMalformed, "authData");
      std::fill(auth_data.begin() + 37, auth_data.begin() + 53, 0);
      KW_ASSIGN_OR_RETURN(attestation_object, NoneAttestationObject(auth_data));
    } else {
      KW_ASSIGN_OR_RETURN(attestation_object, fido::MakeAttestationObject(cred));
    }
    Json ext = Json::object();
    if (o.contains("extensions") && o["extensions"].value("credProps", false)) {
      ext["credProps"] = {{"rk", req.resident_key}};
    }
    Json j = {{"id", Base64UrlEncode(cred.id)},
              {"rawId", Base64UrlEncode(cred.id)},
              {"type", "public-key"},
              {"authenticatorAttachment", "cross-platform"},
              {"response",
               {{"clientDataJSON", Base64UrlEncode(AsBytes(cdj))},
                {"attestationObject", Base64UrlEncode(attestation_object)},
                {"transports", {"usb"}}}},
              {"clientExtensionResults", ext}};
    return j.dump();
  }

  // navigator.credentials.get() for the RP's request options (empty allowCredentials:
  // a discoverable credential answers and returns its user handle).
  Result<std::string> Get(const authn::CeremonyStart& start) {
    KW_ASSIGN_OR_RETURN(Json o, ParseJson(start.options_json));
    const std::string cdj = fido::MakeClientDataJson("webauthn.get", start.challenge, kOrigin);
    fido::GetAssertionRequest req;
    req.rp_id = o.value("rpId", std::string(kRpId));
    const auto h = Sha256(AsBytes(cdj));
    req.client_data_hash.assign(h.begin(), h.end());
    req.user_verification = true;
    if (auto allow = o.find("allowCredentials"); allow != o.end()) {
      for (const auto& c : *allow) {
        KW_ASSIGN_OR_RETURN(Bytes id, Base64UrlDecode(c.value("id", std::string())));
        req.allow_list.push_back(std::move(id));
      }
    }
    KW_ASSIGN_OR_RETURN(auto assertions, device_->GetAssertion(req, &pin_));
    if (assertions.empty()) return Fail(ErrorCode::kFidoNoCredentials, "no assertion");
    const fido::Assertion& a = assertions.front();
    Json resp = {{"clientDataJSON", Base64UrlEncode(AsBytes(cdj))},
                 {"authenticatorData", Base64UrlEncode(a.auth_data)},
                 {"signature", Base64UrlEncode(a.signature)}};
    if (!a.user_id.empty()) resp["userHandle"] = Base64UrlEncode(a.user_id);
    Json j = {{"id", Base64UrlEncode(a.credential_id)},
              {"rawId", Base64UrlEncode(a.credential_id)},
              {"type", "public-key"},
              {"authenticatorAttachment", "cross-platform"},
              {"response", resp},
              {"clientExtensionResults", Json::object()}};
    return j.dump();
  }

 private:
  SoftSecurityKey() = default;
  // {"fmt": "none", "attStmt": {}, "authData": h'...'} in canonical CBOR order (fmt, attStmt,
  // authData: shorter keys first).
  static Result<Bytes> NoneAttestationObject(ByteSpan auth_data) {
    Bytes out = {0xa3, 0x63, 'f', 'm', 't',  0x64, 'n', 'o', 'n', 'e', 0x67, 'a', 't', 't',
                 'S',  't',  'm', 't', 0xa0, 0x68, 'a', 'u', 't', 'h', 'D',  'a', 't', 'a'};
    const size_t n = auth_data.size();
    if (n < 24) {
      out.push_back(static_cast<uint8_t>(0x40 | n));
    } else if (n < 256) {
      out.push_back(0x58);
      out.push_back(static_cast<uint8_t>(n));
    } else if (n < 65536) {
      out.push_back(0x59);
      out.push_back(static_cast<uint8_t>(n >> 8));
      out.push_back(static_cast<uint8_t>(n));
    } else {
      return Fail(ErrorCode::kAuthenticatorDataMalformed, "authenticator data too long");
    }
    out.insert(out.end(), auth_data.begin(), auth_data.end());
    return out;
  }

  std::unique_ptr<softctap::SoftAuthenticator> soft_;
  std::unique_ptr<softctap::SoftHidDevice> hid_;
  std::optional<fido::Device> device_;
  SecretBytes pin_;
};

// A PIV card in a PC/SC reader, provisioned for the demo: a P-256 key generated on the card in
// slot 9A (PIV Authentication) and a certificate for it from the demo CA.
class DemoCard {
 public:
  static Result<std::unique_ptr<DemoCard>> Open(const std::string& reader, SecretBytes pin) {
    KW_ASSIGN_OR_RETURN(auto context, pcsc::Context::Establish());
    KW_TRY(WaitForCard(reader));
    std::unique_ptr<DemoCard> c(new DemoCard());
    KW_ASSIGN_OR_RETURN(c->piv_, piv::PivClient::Open(context, reader));
    c->pin_ = std::move(pin);
    return c;
  }

  // Generates the key on the card and writes the certificate the CA issues for it.
  Result<Bytes> Provision(const DemoKey& ca_key, const Certificate& ca, const std::string& cn) {
    KW_TRY(piv_->AuthenticateManagementKey(piv::ManagementKey::Default()));
    KW_ASSIGN_OR_RETURN(piv::PivPublicKey pub,
                        piv_->GenerateKey(piv::Slot::kAuthentication, piv::Algorithm::kEccP256));
    KW_ASSIGN_OR_RETURN(EvpPkeyPtr pkey, pub.ToEvp());
    KW_ASSIGN_OR_RETURN(
        Certificate cert,
        Issue(pkey.get(),
              {{{"O", "keyward demo"}, {"CN", cn}}, false, "clientAuth,1.3.6.1.4.1.311.20.2.2"},
              &ca_key, &ca));
    KW_TRY(piv_->WriteCertificate(piv::Slot::kAuthentication, cert.der()));
    // What a login reads: the certificate as the card returns it.
    KW_ASSIGN_OR_RETURN(piv::CertificateObject stored,
                        piv_->ReadCertificate(piv::Slot::kAuthentication));
    return stored.der;
  }

  // VERIFY PIN, then GENERAL AUTHENTICATE: ECDSA P-256 over SHA-256(challenge), on the card.
  Result<authn::CertificateLoginEvidence> SignChallenge(ByteSpan challenge) {
    authn::CertificateLoginEvidence ev;
    KW_ASSIGN_OR_RETURN(piv::CertificateObject cert,
                        piv_->ReadCertificate(piv::Slot::kAuthentication));
    ev.certificate = cert.der;
    KW_TRY(piv_->VerifyPin(pin_));
    const Sha256Digest digest = Sha256(challenge);
    KW_ASSIGN_OR_RETURN(ev.signature,
                        piv_->SignDigest(piv::Slot::kAuthentication, piv::Algorithm::kEccP256,
                                         HashAlgorithm::kSha256, digest));
    ev.cose_alg = -7;  // ES256: ECDSA with SHA-256 over the raw challenge
    ev.pin_verified = true;
    return ev;
  }

 private:
  DemoCard() = default;
  // A software card connects to vpcd a moment after pcscd starts: wait (bounded) for it.
  static Result<void> WaitForCard(const std::string& reader) {
    const auto deadline = std::chrono::steady_clock::now() + kCardWait;
    Error last{ErrorCode::kPcscNoCard, 0, "no card in " + reader};
    for (;;) {
      auto monitor = pcsc::Monitor::Create();
      if (!monitor) return Fail(monitor.error());
      auto snapshot = (*monitor)->Snapshot();
      if (!snapshot) return Fail(snapshot.error());
      bool known = false;
      for (const auto& r : *snapshot) {
        if (r.reader != reader) continue;
        known = true;
        if (r.card_present) return Ok();
      }
      if (!known) last = Error{ErrorCode::kPcscReaderNotFound, 0, "no reader named " + reader};
      if (std::chrono::steady_clock::now() >= deadline) return Fail(last);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  std::unique_ptr<piv::PivClient> piv_;
  SecretBytes pin_;
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
  std::string provision_card;  // PC/SC reader name; empty: no smart card
  int card_pin_fd = -1;
};

// Reads the card PIN (one line) from a descriptor.
Result<SecretBytes> ReadPinFd(int fd) {
  Bytes buf;
  for (;;) {
    uint8_t ch = 0;
    const ssize_t n = read(fd, &ch, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(ErrorCode::kIo, "cannot read the card PIN");
    if (n == 0 || ch == '\n') break;
    buf.push_back(ch);
    if (buf.size() > 8) {
      OPENSSL_cleanse(buf.data(), buf.size());
      return Fail(ErrorCode::kPinInvalid, "a PIV PIN has at most 8 characters");
    }
  }
  SecretBytes pin(buf);
  OPENSSL_cleanse(buf.data(), buf.size());
  return pin;
}

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
              c == ErrorCode::kStoreUnavailable || c == ErrorCode::kStoreCorrupt ||
              c == ErrorCode::kPcscNoService || c == ErrorCode::kPcscReaderNotFound ||
              c == ErrorCode::kPcscNoCard)
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

  // Why there is no smart card in this run, when there is none (never a silent pass).
  std::string NoCardReason() {
    auto context = pcsc::Context::Establish();
    if (!context) {
      return "pcscd is not reachable (" + std::string(ErrorCodeName(context.error().code)) +
             "): start pcscd, or run scripts/main-job, which starts a private pcscd with the "
             "software PIV card when pcscd is installed";
    }
    return "no --provision-card READER given (the demo generates a new key in the card's slot "
           "9A, so it only uses a card you name)";
  }

  Result<void> Steps() {
    out_ = Json{{"db", o_.db}, {"rp_id", kRpId}, {"steps", Json::array()}};
    // Demo smart-card PKI: a CA and its (empty) CRL, checked at every card login.
    KW_ASSIGN_OR_RETURN(DemoKey sc_ca_key, DemoKey::Generate());
    KW_ASSIGN_OR_RETURN(
        Certificate sc_ca,
        Issue(sc_ca_key.pkey(),
              {{{"O", "keyward demo"}, {"CN", "keyward demo smart-card CA"}}, true, ""}, nullptr,
              nullptr));
    KW_ASSIGN_OR_RETURN(Bytes sc_crl, EmptyCrl(sc_ca_key, sc_ca));

    // Two software CTAP 2.1 authenticators behind libfido2: one holds a discoverable passkey,
    // the other a device-bound security-key credential with packed attestation.
    KW_ASSIGN_OR_RETURN(auto passkey_device, SoftSecurityKey::Create());
    KW_ASSIGN_OR_RETURN(auto key_device, SoftSecurityKey::Create());
    KW_ASSIGN_OR_RETURN(Certificate key_root, Certificate::ParseDer(key_device->CaCertificateDer(),
                                                                    CertificateRole::kIssuer));
    attestation::TrustStore trust;
    trust.AddRoot(key_root);

    authn::AuthenticatorConfig config;
    config.store_url = o_.db;  // a path, sqlite:PATH or postgresql://...
    config.rp_id = kRpId;
    config.rp_name = "keyward demo";
    config.origins = {kOrigin};
    config.policy = kDemoPolicy;
    config.attestation_trust = &trust;
    config.smart_card_anchors = {ToBytes(sc_ca.der())};
    config.smart_card_crls = {sc_crl};
    KW_ASSIGN_OR_RETURN(auto auth, authn::Authenticator::Open(config));

    KW_ASSIGN_OR_RETURN(Bytes suffix, RandomBytes(3));
    KW_ASSIGN_OR_RETURN(authn::Principal p,
                        auth->CreatePrincipal("demo-" + HexEncode(suffix), "Demo User"));
    Say("create_principal", "principal " + p.id + " (" + p.name + ")",
        ParseJson(authn::PrincipalToJson(p)).value_or(Json::object()));

    // 1. A passkey: a discoverable credential on the first software authenticator, through
    //    libfido2 (resident key, PIN as user verification). The RP asks for attestation "none".
    KW_ASSIGN_OR_RETURN(auto reg1, auth->BeginRegistration(p.id, authn::CredentialKind::kPasskey));
    KW_ASSIGN_OR_RETURN(std::string r1, passkey_device->Create(reg1, p));
    KW_ASSIGN_OR_RETURN(auto passkey, auth->FinishRegistration(reg1.ceremony_id, r1, "passkey"));
    Say("register_passkey",
        "passkey registered on the software CTAP 2.1 authenticator via libfido2 (discoverable, "
        "fmt " +
            passkey.attestation_fmt + ")",
        ParseJson(authn::CredentialToJson(passkey)).value_or(Json::object()));

    // 2. A security key: a device-bound credential on the second one, packed attestation chaining
    //    to that authenticator's CA (the demo's attestation trust anchor).
    KW_ASSIGN_OR_RETURN(auto reg2,
                        auth->BeginRegistration(p.id, authn::CredentialKind::kSecurityKey));
    KW_ASSIGN_OR_RETURN(std::string r2, key_device->Create(reg2, p));
    KW_ASSIGN_OR_RETURN(auto seckey,
                        auth->FinishRegistration(reg2.ceremony_id, r2, "security key"));
    Say("register_security_key",
        "security key registered via libfido2 (packed attestation, " + seckey.trust_status +
            " via " + seckey.trust_anchor + ")",
        ParseJson(authn::CredentialToJson(seckey)).value_or(Json::object()));

    // 3. A smart card, when one is named: key generated on the card, certificate from the CA.
    std::unique_ptr<DemoCard> card;
    if (o_.provision_card.empty()) {
      const std::string why = NoCardReason();
      Say("smart_card_skipped", "smart-card part SKIPPED: " + why,
          Json{{"skipped", true}, {"reason", why}});
    } else {
      SecretBytes pin(kSoftCardPin);
      if (o_.card_pin_fd >= 0) {
        KW_ASSIGN_OR_RETURN(pin, ReadPinFd(o_.card_pin_fd));
      }
      KW_ASSIGN_OR_RETURN(card, DemoCard::Open(o_.provision_card, std::move(pin)));
      KW_ASSIGN_OR_RETURN(Bytes card_cert, card->Provision(sc_ca_key, sc_ca, "Demo User"));
      authn::CertificateEnrollment enrol;
      enrol.certificate = card_cert;
      enrol.nickname = "badge";
      KW_ASSIGN_OR_RETURN(auto enrolled, auth->EnrollCertificate(p.id, enrol));
      Say("enroll_smart_card",
          "smart card in \"" + o_.provision_card +
              "\": P-256 key generated on the card (slot "
              "9A), certificate " +
              enrolled.cert_subject + " written and enrolled",
          ParseJson(authn::CredentialToJson(enrolled)).value_or(Json::object()));
    }

    authn::Session session;
    authn::LoginRequest req;
    req.principal_id = p.id;

    // 4. Log in with the passkey, discoverable: no principal named, the credential says who.
    KW_ASSIGN_OR_RETURN(auto l1, auth->BeginLogin({}));
    KW_ASSIGN_OR_RETURN(std::string a1, passkey_device->Get(l1));
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

    // 6. Step up: with the smart card (the card signs the challenge after its PIN), or with the
    //    attested security key when there is no card.
    authn::LoginRequest up = req;
    up.step_up_to = authn::Aal::kAal3;
    authn::RequestContext admin;
    admin.action = "admin";
    if (card) {
      up.kinds = {authn::CredentialKind::kSmartCard};
      KW_ASSIGN_OR_RETURN(auto l2, auth->BeginLogin(up));
      KW_ASSIGN_OR_RETURN(authn::CertificateLoginEvidence ev, card->SignChallenge(l2.challenge));
      KW_ASSIGN_OR_RETURN(auto res2,
                          auth->FinishCertificateLogin(l2.ceremony_id, ev, admin, &session));
      SayResult("step_up_smart_card", res2);
    } else {
      up.kinds = {authn::CredentialKind::kSecurityKey};
      KW_ASSIGN_OR_RETURN(auto l2, auth->BeginLogin(up));
      KW_ASSIGN_OR_RETURN(std::string a2, key_device->Get(l2));
      KW_ASSIGN_OR_RETURN(auto res2, auth->FinishLogin(l2.ceremony_id, a2, admin, &session));
      SayResult("step_up_security_key", res2);
    }
    KW_TRY(auth->Authorize(&session, "admin"));
    Say("authorize_admin_again", "allowed: session is " + std::string(AalName(session.aal)),
        Json{{"session_aal", AalName(session.aal)}});

    // 7. Log in with the security key.
    KW_ASSIGN_OR_RETURN(auto l3, auth->BeginLogin(req));
    KW_ASSIGN_OR_RETURN(std::string a3, key_device->Get(l3));
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
    R"(Registers a passkey and a security key (keyward's software CTAP 2.1 authenticator driven
through libfido2) and, with --provision-card, a smart card (PC/SC + PIV) for one new principal in
a SQLite store (--db, default ./keyward-demo.db; an existing store is reused and gets a new
principal), logs in with each, triggers a step-up (the "admin" action needs AAL3) satisfied by the
smart card (by the security key without one), shows a replayed response refused, and verifies
the audit chain.

--provision-card READER  use the PIV card in that PC/SC reader: GENERATES A NEW KEY in slot 9A
                         (replacing what is there) with the default management key, writes a demo
                         certificate, and signs the login challenge on the card after VERIFY PIN.
                         Meant for keyward-softpiv (scripts/main-job starts it under a private
                         pcscd). Without it the smart-card part is skipped and the output says why.
--card-pin-fd N          read the card PIN from descriptor N (default: the software card's 123456)

--json: {ok, db, rp_id, steps: [{step, detail} | {step, auth_result}]}; a skipped card is the step
smart_card_skipped {skipped, reason}. auth_result fields: principal_id, principal_name,
credential_id, credential_nickname, kind, aal, aal_reason, user_verified, sign_count, risk
{sign_count_regressed, backup_state_changed, first_use, unused_long, days_since_last_use},
decision {outcome, required_aal, satisfying_kinds, reasons}.
Exit: 0 done, 1 a step was refused, 3 store or card environment unusable.)";

Command MakeDemo(CLI::App& root) {
  auto* app =
      root.add_subcommand("demo", "One principal, a passkey, a security key and a smart card");
  app->footer(kDemoHelp);
  auto opts = std::make_shared<DemoOptions>();
  app->add_option("--db", opts->db, "credential store (SQLite file)");
  app->add_flag("--json", opts->json, "JSON output");
  app->add_option("--provision-card", opts->provision_card,
                  "PC/SC reader of a PIV card to provision and use (replaces slot 9A)");
  app->add_option("--card-pin-fd", opts->card_pin_fd, "read the card PIN from this descriptor");
  return {app, [opts]() -> int { return Demo(*opts).Run(); }};
}

KEYWARD_REGISTER_COMMAND(5, MakeDemo);

}  // namespace
}  // namespace keyward::cli
