#include "enroll/enrollment.h"

#include "core/hash.h"
#include "core/x509.h"
#include "enroll/csr.h"
#include "enroll/journal.h"
#include "enroll/local_ca.h"
#include "enroll/piv_admin.h"
#include "pcsc/context.h"
#include "pcsc/monitor.h"
#include "pcsc/piv_client.h"

namespace keyward::enroll {
namespace {

namespace piv = pcsc::piv;

constexpr std::string_view kDefaultPin = "123456";
constexpr std::string_view kDefaultPuk = "12345678";

Result<Bytes> HexField(const Json& data, const char* name) {
  if (!data.contains(name) || !data[name].is_string()) {
    return Fail(ErrorCode::kEnrollJournalCorrupt, std::string("journal step lacks ") + name);
  }
  auto b = HexDecode(data[name].get<std::string>());
  if (!b) return Fail(ErrorCode::kEnrollJournalCorrupt, std::string("journal: bad ") + name);
  return b;
}

class Run {
 public:
  Run(const EnrollOptions& o, EnrollReport& r) : o_(o), r_(r) {}

  Result<void> Go();

 private:
  void Step(const std::string& step, const std::string& status, std::string detail = {}) {
    r_.steps.push_back({step, status, std::move(detail)});
    if (o_.on_step) o_.on_step(step, status);
  }
  Result<void> Failed(const std::string& step, Error e) {
    r_.steps.push_back({step, "failed", std::string(ErrorCodeName(e.code))});
    if (o_.on_step) o_.on_step(step, "failed");
    return Fail(std::move(e));
  }
#define STEP_TRY(step, expr)                                                 \
  do {                                                                       \
    auto&& step_result_ = (expr);                                            \
    if (!step_result_) return Failed(step, std::move(step_result_).error()); \
  } while (false)

  Result<SecretBytes> PinNow() const;
  Result<piv::ManagementKey> ManagementKeyNow() const;
  Result<void> OpenCardAndJournal();
  Result<void> CheckSlot();
  Result<void> GenerateKey();
  Result<void> SignRequest();
  Result<void> Issue();
  Result<void> WriteCertificate();
  Result<void> WriteCcc();
  Result<void> ChangeSecrets();
  Result<void> ChangeManagementKey();
  Result<void> LoginCheck();

  const EnrollOptions& o_;
  EnrollReport& r_;
  int64_t now_ = 0;
  std::shared_ptr<pcsc::Context> ctx_;
  std::unique_ptr<piv::PivClient> piv_;
  std::optional<Journal> journal_;
  std::optional<WorkforceProfile> profile_;
  std::optional<VerifiedCsr> csr_;
  Bytes spki_;
  Bytes cert_;
};

Result<SecretBytes> Run::PinNow() const {
  if (r_.generated.pin) return SecretBytes(r_.generated.pin->reveal());  // set by this run
  if (journal_->Done(kStepPinChanged)) {
    if (o_.secrets.new_pin) return SecretBytes(o_.secrets.new_pin->reveal());
    if (o_.secrets.current_pin) return SecretBytes(o_.secrets.current_pin->reveal());
    return Fail(ErrorCode::kPinRequired,
                "the PIN was changed by an earlier run: give it as current_pin");
  }
  if (o_.secrets.current_pin) return SecretBytes(o_.secrets.current_pin->reveal());
  return SecretBytes(kDefaultPin);
}

Result<piv::ManagementKey> Run::ManagementKeyNow() const {
  if (journal_ && journal_->Done(kStepManagementKeyChanged)) {
    auto alg = journal_->StepData(kStepManagementKeyChanged).value("algorithm", std::string());
    piv::Algorithm a = o_.new_management_key_algorithm;
    for (auto cand : {piv::Algorithm::kAes128, piv::Algorithm::kAes192, piv::Algorithm::kAes256,
                      piv::Algorithm::kTripleDes}) {
      if (piv::AlgorithmName(cand) == alg) a = cand;
    }
    // The key set by the earlier run has the journaled algorithm, whichever way it is given.
    if (o_.secrets.new_management_key) return MakeManagementKey(a, *o_.secrets.new_management_key);
    if (o_.secrets.current_management_key) {
      return MakeManagementKey(a, *o_.secrets.current_management_key);
    }
    return Fail(ErrorCode::kPivManagementKeyAuthFailed,
                "the management key was changed by an earlier run: give it as "
                "current_management_key");
  }
  if (o_.secrets.current_management_key) {
    return MakeManagementKey(o_.current_management_key_algorithm,
                             *o_.secrets.current_management_key);
  }
  return piv::ManagementKey::Default();
}

Result<void> Run::OpenCardAndJournal() {
  KW_ASSIGN_OR_RETURN(ctx_, pcsc::Context::Establish());
  KW_ASSIGN_OR_RETURN(r_.reader, ChooseReader(o_.reader));
  KW_ASSIGN_OR_RETURN(piv_, piv::PivClient::Open(ctx_, r_.reader));
  auto chuid = piv_->ReadChuid();
  bool wrote_chuid = false;
  if (!chuid) {
    if (chuid.error().code != ErrorCode::kPivObjectNotFound) return Fail(chuid.error());
    // A card without a CHUID is new: the factory (or given) management key applies.
    KW_ASSIGN_OR_RETURN(piv::ManagementKey key, ManagementKeyNow());
    STEP_TRY("management_key", piv_->AuthenticateManagementKey(key));
    KW_ASSIGN_OR_RETURN(piv::Chuid fresh, FreshChuid(now_, 10));
    STEP_TRY(kStepChuidWritten, piv_->WriteChuid(fresh));
    chuid = fresh;
    wrote_chuid = true;
    r_.changed.push_back("wrote a fresh CHUID");
  }
  r_.guid = HexEncode(chuid->guid);
  std::string dir = o_.journal_dir.empty() ? DefaultJournalDir() : o_.journal_dir;
  KW_ASSIGN_OR_RETURN(journal_, Journal::Open(dir, r_.guid));
  r_.journal_path = journal_->path();
  const std::string slot(piv::SlotName(o_.slot));
  const std::string alg(piv::AlgorithmName(o_.algorithm));
  if (journal_->exists() && !o_.force) {
    if (journal_->username() != o_.user.username) {
      if (journal_->completed()) {
        return Fail(ErrorCode::kEnrollCardAlreadyEnrolled,
                    "this card was enrolled for another user (use --force to re-enrol)");
      }
      return Fail(ErrorCode::kEnrollJournalMismatch,
                  "this card's unfinished enrolment is for another user (use --force)");
    }
    if (journal_->slot() != slot || journal_->algorithm() != alg) {
      return Fail(ErrorCode::kEnrollJournalMismatch,
                  "this card's enrolment used slot " + journal_->slot() + " / " +
                      journal_->algorithm() + " (use --force to start over)");
    }
    if (journal_->completed()) {
      return Fail(ErrorCode::kEnrollCardAlreadyEnrolled,
                  "this card is already enrolled for this user (use --force to re-enrol)");
    }
  }
  if (journal_->exists() && o_.force) KW_TRY(journal_->Reset());
  journal_->SetSubject(o_.user.username, slot, alg);
  if (wrote_chuid) {
    KW_TRY(journal_->Mark(kStepChuidWritten));
    Step(kStepChuidWritten, "done");
    Step("management_key", "done");
  } else {
    KW_TRY(journal_->Save());
    KW_ASSIGN_OR_RETURN(piv::ManagementKey key, ManagementKeyNow());
    STEP_TRY("management_key", piv_->AuthenticateManagementKey(key));
    Step("management_key", "done");
  }
  return Ok();
}

Result<void> Run::CheckSlot() {
  // A key keyward generated in an earlier run is ours; anything else in the slot is not.
  if (journal_->Done(kStepKeyGenerationStarted)) {
    Step("slot_check", "already_done", "slot holds this enrolment's key");
    return Ok();
  }
  // GET METADATA says whether a key is there; cards without it: a certificate in the slot.
  std::string what;
  auto probe = ProbeSlot(*piv_, o_.slot);
  if (!probe) return Failed("slot_check", probe.error());
  bool by_certificate = probe->state == SlotProbe::kUnsupported;
  if (probe->state == SlotProbe::kKey) what = "a key";
  if (what.empty()) {
    auto cert = piv_->ReadCertificate(o_.slot);
    if (cert) {
      what = "a certificate";
    } else if (cert.error().code != ErrorCode::kPivObjectNotFound &&
               cert.error().code != ErrorCode::kPivObjectMalformed) {
      return Failed("slot_check", cert.error());
    }
  }
  if (!what.empty() && !o_.force) {
    return Failed("slot_check",
                  Error{ErrorCode::kPivSlotOccupied, 0,
                        "slot " + std::string(piv::SlotName(o_.slot)) + " already holds " + what +
                            " (use --force to overwrite)"});
  }
  std::string how = by_certificate ? " (card has no GET METADATA: checked the certificate)" : "";
  Step("slot_check", "done",
       (what.empty() ? "empty" : "holds " + what + ", overwriting (--force)") + how);
  return Ok();
}

Result<void> Run::GenerateKey() {
  // The key of an earlier run is reused: once generated, never replaced by this enrolment.
  if (journal_->Done(kStepKeyGenerated)) {
    KW_ASSIGN_OR_RETURN(spki_, HexField(journal_->StepData(kStepKeyGenerated), "spki"));
    Step(kStepKeyGenerated, "already_done");
    return Ok();
  }
  KW_TRY(journal_->Mark(kStepKeyGenerationStarted,
                        {{"slot", std::string(piv::SlotName(o_.slot))},
                         {"algorithm", std::string(piv::AlgorithmName(o_.algorithm))}}));
  auto pub = piv_->GenerateKey(o_.slot, o_.algorithm);
  if (!pub) return Failed(kStepKeyGenerated, pub.error());
  KW_ASSIGN_OR_RETURN(spki_, pub->ToSpki());
  KW_TRY(journal_->Mark(kStepKeyGenerated, {{"spki", HexEncode(spki_)}}));
  r_.changed.push_back("generated a " + std::string(piv::AlgorithmName(o_.algorithm)) +
                       " key in slot " + std::string(piv::SlotName(o_.slot)));
  Step(kStepKeyGenerated, "done");
  return Ok();
}

Result<void> Run::SignRequest() {
  if (journal_->Done(kStepCsrSigned)) {
    KW_ASSIGN_OR_RETURN(Bytes der, HexField(journal_->StepData(kStepCsrSigned), "csr"));
    KW_ASSIGN_OR_RETURN(csr_, VerifyCsr(der));
    Step(kStepCsrSigned, "already_done");
    return Ok();
  }
  const unsigned char* p = spki_.data();
  EvpPkeyPtr pub(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki_.size())));  // NOLINT
  if (!pub) return Fail(ErrorCode::kEnrollJournalCorrupt, "journal public key unreadable");
  KW_ASSIGN_OR_RETURN(SecretBytes pin, PinNow());
  DigestSigner signer = [&](HashAlgorithm hash, ByteSpan digest) -> Result<Bytes> {
    KW_TRY(piv_->VerifyPin(pin));  // immediately before: 9C requires it ("PIN always")
    return piv_->SignDigest(o_.slot, o_.algorithm, hash, digest);
  };
  auto csr = BuildCsr(profile_->subject.get(), pub.get(), profile_->extensions, signer);
  if (!csr) return Failed(kStepCsrSigned, csr.error());
  csr_ = std::move(*csr);
  KW_TRY(journal_->Mark(kStepCsrSigned, {{"csr", HexEncode(csr_->der)}}));
  Step(kStepCsrSigned, "done", "self-signature verified");
  if (!o_.csr_out_path.empty()) {
    STEP_TRY(kStepCsrWritten, WriteFileAtomic(o_.csr_out_path, CsrToPem(csr_->der), 0644));
    KW_TRY(journal_->Mark(kStepCsrWritten, {{"path", o_.csr_out_path}}));
    Step(kStepCsrWritten, "done", o_.csr_out_path);
  }
  return Ok();
}

Result<void> Run::Issue() {
  if (journal_->Done(kStepCertificateIssued)) {
    KW_ASSIGN_OR_RETURN(cert_, HexField(journal_->StepData(kStepCertificateIssued), "certificate"));
    Step(kStepCertificateIssued, "already_done");
    return Ok();
  }
  if (o_.ca_key_path.empty()) {
    r_.awaiting_certificate = true;
    r_.csr_path = o_.csr_out_path.empty()
                      ? journal_->StepData(kStepCsrWritten).value("path", std::string())
                      : o_.csr_out_path;
    Step(kStepCertificateIssued, "skipped", "waiting for `keyward card import-cert`");
    return Ok();
  }
  auto ca = LocalCa::Load(o_.ca_cert_path, o_.ca_key_path, now_);
  if (!ca) return Failed(kStepCertificateIssued, ca.error());
  KW_ASSIGN_OR_RETURN(Bytes serial, RandomSerial());
  auto cert = ca->Issue(*csr_, *profile_, now_, o_.validity_days, serial);
  if (!cert) return Failed(kStepCertificateIssued, cert.error());
  cert_ = std::move(*cert);
  KW_TRY(journal_->Mark(kStepCertificateIssued, {{"certificate", HexEncode(cert_)}}));
  Step(kStepCertificateIssued, "done");
  return Ok();
}

Result<void> Run::WriteCertificate() {
  if (journal_->Done(kStepCertificateWritten)) {
    r_.certificate_compressed =
        journal_->StepData(kStepCertificateWritten).value("compressed", false);
    Step(kStepCertificateWritten, "already_done");
    return Ok();
  }
  KW_ASSIGN_OR_RETURN(bool compress, ChooseCompression(cert_, o_.max_object_size));
  STEP_TRY(kStepCertificateWritten, piv_->WriteCertificate(o_.slot, cert_, compress));
  r_.certificate_compressed = compress;
  KW_TRY(journal_->Mark(kStepCertificateWritten, {{"compressed", compress}}));
  r_.changed.push_back("wrote the certificate to slot " + std::string(piv::SlotName(o_.slot)) +
                       (compress ? " (compressed)" : ""));
  Step(kStepCertificateWritten, "done", compress ? "compressed" : "");
  return Ok();
}

Result<void> Run::WriteCcc() {
  if (journal_->Done(kStepCccWritten)) {
    Step(kStepCccWritten, "already_done");
    return Ok();
  }
  auto existing = HasCardCapabilityContainer(*piv_);
  if (!existing) return Failed(kStepCccWritten, existing.error());
  if (*existing) {
    Step(kStepCccWritten, "skipped", "the card has a CCC");
    return Ok();
  }
  STEP_TRY(kStepCccWritten, WriteFreshCardCapabilityContainer(*piv_));
  KW_TRY(journal_->Mark(kStepCccWritten));
  r_.changed.push_back("wrote a Card Capability Container");
  Step(kStepCccWritten, "done");
  return Ok();
}

Result<void> Run::ChangeManagementKey() {
  if (!o_.change_management_key) {
    Step(kStepManagementKeyChanged, "skipped");
    return Ok();
  }
  if (journal_->Done(kStepManagementKeyChanged)) {
    Step(kStepManagementKeyChanged, "already_done");
    return Ok();
  }
  const piv::Algorithm alg = o_.new_management_key_algorithm;
  SecretBytes raw;
  bool generated = !o_.secrets.new_management_key;
  if (generated) {
    KW_ASSIGN_OR_RETURN(raw, GenerateManagementKey(alg));
  } else {
    raw = SecretBytes(o_.secrets.new_management_key->reveal());
  }
  KW_ASSIGN_OR_RETURN(piv::ManagementKey key, MakeManagementKey(alg, raw));
  STEP_TRY(kStepManagementKeyChanged, SetManagementKey(*piv_, key));
  if (generated) {
    r_.generated.management_key = SecretBytes(raw.reveal());
    r_.generated.management_key_algorithm = std::string(piv::AlgorithmName(alg));
  }
  KW_TRY(journal_->Mark(
      kStepManagementKeyChanged,
      {{"algorithm", std::string(piv::AlgorithmName(alg))}, {"generated", generated}}));
  r_.changed.push_back("changed the management key to " + std::string(piv::AlgorithmName(alg)) +
                       (generated ? " (generated)" : ""));
  Step(kStepManagementKeyChanged, "done");
  return Ok();
}

Result<void> Run::ChangeSecrets() {
  if (!o_.change_pin) {
    Step(kStepPinChanged, "skipped");
  } else if (journal_->Done(kStepPinChanged)) {
    Step(kStepPinChanged, "already_done");
  } else {
    SecretBytes old_pin = o_.secrets.current_pin ? SecretBytes(o_.secrets.current_pin->reveal())
                                                 : SecretBytes(kDefaultPin);
    SecretBytes new_pin;
    bool generated = !o_.secrets.new_pin;
    if (generated) {
      KW_ASSIGN_OR_RETURN(new_pin, GenerateNumericSecret(8));
    } else {
      new_pin = SecretBytes(o_.secrets.new_pin->reveal());
    }
    STEP_TRY(kStepPinChanged, piv_->ChangePin(old_pin, new_pin));
    if (generated) r_.generated.pin = SecretBytes(new_pin.reveal());
    KW_TRY(journal_->Mark(kStepPinChanged, {{"generated", generated}}));
    r_.changed.push_back(generated ? "changed the PIN (generated)" : "changed the PIN");
    Step(kStepPinChanged, "done");
  }
  if (!o_.change_puk) {
    Step(kStepPukChanged, "skipped");
  } else if (journal_->Done(kStepPukChanged)) {
    Step(kStepPukChanged, "already_done");
  } else {
    SecretBytes old_puk = o_.secrets.current_puk ? SecretBytes(o_.secrets.current_puk->reveal())
                                                 : SecretBytes(kDefaultPuk);
    SecretBytes new_puk;
    bool generated = !o_.secrets.new_puk;
    if (generated) {
      KW_ASSIGN_OR_RETURN(new_puk, GenerateNumericSecret(8));
    } else {
      new_puk = SecretBytes(o_.secrets.new_puk->reveal());
    }
    STEP_TRY(kStepPukChanged, piv_->ChangePuk(old_puk, new_puk));
    if (generated) r_.generated.puk = SecretBytes(new_puk.reveal());
    KW_TRY(journal_->Mark(kStepPukChanged, {{"generated", generated}}));
    r_.changed.push_back(generated ? "changed the PUK (generated)" : "changed the PUK");
    Step(kStepPukChanged, "done");
  }
  KW_TRY(ChangeManagementKey());
  return Ok();
}

Result<void> Run::LoginCheck() {
  if (!o_.verify_login) {
    Step(kStepLoginVerified, "skipped");
    return Ok();
  }
  // Leave the card to the PKCS#11 module: forget the PIN, close our connection.
  (void)piv_->ResetPinStatus();
  piv_.reset();
  LoginCheckRequest req;
  req.module_path = o_.pkcs11_module;
  req.user = profile_->user;
  KW_ASSIGN_OR_RETURN(req.pin, PinNow());
  req.expected_certificate = cert_;
  req.now = now_;
  if (o_.ca_cert_path.empty()) {
    return Failed(kStepLoginVerified,
                  Error{ErrorCode::kEnrollOptionsInvalid, 0, "the login check needs --ca-cert"});
  }
  auto ca_text = ReadFileToString(o_.ca_cert_path, 1 << 20);
  if (!ca_text) return Failed(kStepLoginVerified, ca_text.error());
  auto anchors = Certificate::ParsePem(*ca_text);
  if (!anchors) return Failed(kStepLoginVerified, anchors.error());
  req.anchors = std::move(*anchors);
  r_.login = RunLoginCheck(req);
  if (!r_.login->passed) {
    return Failed(kStepLoginVerified,
                  Error{r_.login->code, 0, "login check FAILED: " + r_.login->detail});
  }
  KW_TRY(journal_->Mark(kStepLoginVerified,
                        {{"account", r_.login->account}, {"rule", r_.login->rule}}));
  Step(kStepLoginVerified, "done", "PASS");
  return Ok();
}

Result<void> Run::Go() {
  now_ = o_.now ? o_.now : UnixNow();
  r_.username = o_.user.username;
  r_.slot = std::string(piv::SlotName(o_.slot));
  r_.algorithm = std::string(piv::AlgorithmName(o_.algorithm));
  if (o_.ca_key_path.empty() && o_.csr_out_path.empty() && o_.ca_cert_path.empty()) {
    return Fail(ErrorCode::kEnrollOptionsInvalid,
                "give a local CA (--ca-cert and --ca-key) or --csr-out for an external CA");
  }
  if (!o_.ca_key_path.empty() && o_.ca_cert_path.empty()) {
    return Fail(ErrorCode::kEnrollOptionsInvalid, "--ca-key needs --ca-cert");
  }
  if (piv::IsSymmetric(o_.algorithm) || o_.algorithm == piv::Algorithm::kRsa1024) {
    return Fail(ErrorCode::kEnrollOptionsInvalid, "algorithm: eccp256, eccp384 or rsa2048");
  }
  if (o_.slot == piv::Slot::kManagement) {
    return Fail(ErrorCode::kEnrollOptionsInvalid, "slot: 9a, 9c, 9d or 9e");
  }
  KW_ASSIGN_OR_RETURN(profile_, WorkforceProfile::Create(o_.user, o_.subject_base));
  KW_TRY(OpenCardAndJournal());
  KW_TRY(CheckSlot());
  KW_TRY(GenerateKey());
  KW_TRY(SignRequest());
  KW_TRY(Issue());
  if (r_.awaiting_certificate) return Ok();
  auto cert = Certificate::ParseDer(cert_);
  if (!cert) return Fail(cert.error());
  r_.certificate = cert_;
  r_.certificate_subject = cert->Subject();
  r_.certificate_serial = cert->SerialHex();
  r_.certificate_sha256 = HexEncode(cert->Fingerprint());
  KW_TRY(WriteCertificate());
  KW_TRY(WriteCcc());
  KW_TRY(ChangeSecrets());
  KW_TRY(LoginCheck());
  KW_TRY(journal_->MarkCompleted());
  r_.completed = true;
  return Ok();
}

}  // namespace

Result<bool> ChooseCompression(ByteSpan der, size_t max_object_size) {
  KW_ASSIGN_OR_RETURN(Bytes plain, piv::CertificateObject::Encode(der, false));
  if (plain.size() <= max_object_size) return false;
  KW_ASSIGN_OR_RETURN(Bytes packed, piv::CertificateObject::Encode(der, true));
  if (packed.size() <= max_object_size) return true;
  return Fail(ErrorCode::kEnrollCertificateTooLarge,
              "the certificate does not fit the card's object even compressed");
}

Result<std::string> ChooseReader(const std::string& wanted) {
  if (!wanted.empty()) return wanted;
  KW_ASSIGN_OR_RETURN(auto monitor, pcsc::Monitor::Create());
  KW_ASSIGN_OR_RETURN(auto readers, monitor->Snapshot());
  if (readers.empty()) return Fail(ErrorCode::kPcscNoReaders, "no smart-card reader");
  std::vector<std::string> with_card;
  for (const auto& r : readers) {
    if (r.card_present) with_card.push_back(r.reader);
  }
  if (with_card.empty()) return Fail(ErrorCode::kPcscNoCard, "no card in any reader");
  if (with_card.size() > 1) {
    return Fail(ErrorCode::kInvalidArgument, "several readers hold a card: choose with --reader");
  }
  return with_card.front();
}

EnrollReport Enroll(const EnrollOptions& options) {
  EnrollReport report;
  Run run(options, report);
  auto r = run.Go();
  if (!r) report.error = r.error();
  return report;
}

Json ErrorToJson(const Error& e) {
  return {{"code", std::string(ErrorCodeName(e.code))},
          {"message", e.ToString()},
          {"native", e.native}};
}

Json ReportToJson(const EnrollReport& r) {
  Json steps = Json::array();
  for (const auto& s : r.steps) {
    Json j = {{"step", s.step}, {"status", s.status}};
    if (!s.detail.empty()) j["detail"] = s.detail;
    steps.push_back(j);
  }
  Json j = {{"ok", !r.error.has_value()},
            {"completed", r.completed},
            {"username", r.username},
            {"reader", r.reader},
            {"guid", r.guid},
            {"journal", r.journal_path},
            {"slot", r.slot},
            {"algorithm", r.algorithm},
            {"steps", steps},
            {"changed", r.changed}};
  if (!r.certificate.empty()) {
    j["certificate"] = {{"subject", r.certificate_subject},
                        {"serial", r.certificate_serial},
                        {"sha256", r.certificate_sha256},
                        {"compressed", r.certificate_compressed}};
  }
  if (r.awaiting_certificate) {
    j["awaiting_certificate"] = true;
    j["csr"] = r.csr_path;
  }
  if (r.login) {
    const LoginCheckResult& l = *r.login;
    Json lj = {{"result", l.passed ? "PASS" : "FAIL"}, {"expected_account", l.expected_account}};
    if (l.passed) {
      lj["account"] = l.account;
      lj["rule"] = l.rule;
      lj["mapping_source"] = l.mapping_source;
      lj["mechanism"] = l.mechanism;
      lj["signature_algorithm"] = l.signature_algorithm;
      lj["assurance"] = l.assurance;
    } else {
      lj["failed_check"] = std::string(ErrorCodeName(l.code));
      if (!l.account.empty()) lj["account"] = l.account;
    }
    j["login"] = lj;
  }
  if (r.error) j["error"] = ErrorToJson(*r.error);
  return j;
}

Json GeneratedToJson(const GeneratedSecrets& g) {
  Json j = Json::object();
  if (g.pin) j["pin"] = std::string(g.pin->reveal_chars());
  if (g.puk) j["puk"] = std::string(g.puk->reveal_chars());
  if (g.management_key) {
    j["management_key"] = HexEncode(g.management_key->reveal());
    j["management_key_algorithm"] = g.management_key_algorithm;
  }
  return j;
}

}  // namespace keyward::enroll
