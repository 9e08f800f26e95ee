#include "enroll/import_cert.h"

#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "core/hash.h"
#include "core/x509.h"
#include "enroll/journal.h"
#include "enroll/piv_admin.h"
#include "pcsc/context.h"
#include "pcsc/piv_client.h"

namespace keyward::enroll {
namespace {

namespace piv = pcsc::piv;

Result<Bytes> Spki(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(key, &der);
  if (len <= 0) return Fail(ErrorCode::kKeyMalformed, "certificate public key unreadable");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

Result<Certificate> ParseCertificateFile(ByteSpan bytes) {
  std::string_view text = AsChars(bytes);
  if (text.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos) {
    KW_ASSIGN_OR_RETURN(auto certs, Certificate::ParsePem(text));
    return certs.front();
  }
  return Certificate::ParseDer(bytes);
}

Result<piv::Algorithm> AlgorithmOf(EVP_PKEY* key) {
  KW_ASSIGN_OR_RETURN(piv::PivPublicKey pk, piv::PivPublicKey::FromEvp(key));
  return pk.algorithm;
}

// The slot's key signs a random digest; the certificate's key must verify it.
Result<void> ProveBySignature(piv::PivClient& card, piv::Slot slot, EVP_PKEY* cert_key,
                              const SecretBytes& pin) {
  KW_ASSIGN_OR_RETURN(piv::Algorithm alg, AlgorithmOf(cert_key));
  KW_ASSIGN_OR_RETURN(Bytes nonce, RandomBytes(32));
  HashAlgorithm hash =
      alg == piv::Algorithm::kEccP384 ? HashAlgorithm::kSha384 : HashAlgorithm::kSha256;
  Bytes digest = Digest(hash, nonce);
  KW_TRY(card.VerifyPin(pin));
  auto sig = card.SignDigest(slot, alg, hash, digest);
  if (!sig) {
    // A slot with another key type refuses the algorithm: that is a mismatch too.
    if (sig.error().code == ErrorCode::kApduStatusError ||
        sig.error().code == ErrorCode::kPivUnsupportedAlgorithm) {
      return Fail(ErrorCode::kEnrollCertificateKeyMismatch,
                  "the slot's key does not sign with the certificate's algorithm");
    }
    return Fail(sig.error());
  }
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(cert_key, nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1) {
    return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("verify init"));
  }
  if (piv::IsRsa(alg)) {
    EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING);
    EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256());
  }
  if (EVP_PKEY_verify(ctx.get(), sig->data(), sig->size(), digest.data(), digest.size()) != 1) {
    ERR_clear_error();
    return Fail(ErrorCode::kEnrollCertificateKeyMismatch,
                "the slot's key is not the certificate's key (signature check)");
  }
  return Ok();
}

}  // namespace

Result<ImportReport> ImportCertificate(const ImportOptions& o) {
  KW_ASSIGN_OR_RETURN(Certificate cert, ParseCertificateFile(o.certificate));
  EVP_PKEY* cert_key = cert.public_key();
  if (!cert_key) return Fail(ErrorCode::kCertificateMalformed, "certificate key unreadable");
  KW_ASSIGN_OR_RETURN(Bytes cert_spki, Spki(cert_key));
  KW_ASSIGN_OR_RETURN(bool compress, ChooseCompression(cert.der(), o.max_object_size));

  ImportReport r;
  r.slot = std::string(piv::SlotName(o.slot));
  r.certificate_subject = cert.Subject();
  r.certificate_sha256 = HexEncode(cert.Fingerprint());
  KW_ASSIGN_OR_RETURN(auto ctx, pcsc::Context::Establish());
  KW_ASSIGN_OR_RETURN(r.reader, ChooseReader(o.reader));
  KW_ASSIGN_OR_RETURN(auto card, piv::PivClient::Open(ctx, r.reader));

  std::optional<Journal> journal;
  if (auto chuid = card->ReadChuid()) {
    r.guid = HexEncode(chuid->guid);
    std::string dir = o.journal_dir.empty() ? DefaultJournalDir() : o.journal_dir;
    KW_ASSIGN_OR_RETURN(Journal j, Journal::Open(dir, r.guid));
    if (j.exists() && j.slot() == r.slot) journal = std::move(j);
  } else if (chuid.error().code != ErrorCode::kPivObjectNotFound) {
    return Fail(chuid.error());
  }

  KW_ASSIGN_OR_RETURN(SlotProbe probe, ProbeSlot(*card, o.slot));
  if (probe.state == SlotProbe::kKey && probe.spki) {
    if (*probe.spki != cert_spki) {
      return Fail(ErrorCode::kEnrollCertificateKeyMismatch,
                  "the certificate's key is not the key in slot " + r.slot);
    }
    r.key_check = "metadata";
  } else if (probe.state == SlotProbe::kEmpty) {
    return Fail(ErrorCode::kEnrollCertificateKeyMismatch, "slot " + r.slot + " holds no key");
  } else if (journal && journal->Done(kStepKeyGenerated)) {
    auto hex = journal->StepData(kStepKeyGenerated).value("spki", std::string());
    KW_ASSIGN_OR_RETURN(Bytes slot_spki, HexDecode(hex));
    if (slot_spki != cert_spki) {
      return Fail(ErrorCode::kEnrollCertificateKeyMismatch,
                  "the certificate's key is not the key keyward generated in slot " + r.slot);
    }
    r.key_check = "journal";
  } else {
    SecretBytes pin = o.secrets.current_pin ? SecretBytes(o.secrets.current_pin->reveal())
                                            : SecretBytes(std::string_view("123456"));
    KW_TRY(ProveBySignature(*card, o.slot, cert_key, pin));
    r.key_check = "signature";
  }

  piv::ManagementKey key = piv::ManagementKey::Default();
  if (o.secrets.current_management_key) {
    KW_ASSIGN_OR_RETURN(key, MakeManagementKey(o.current_management_key_algorithm,
                                               *o.secrets.current_management_key));
  }
  KW_TRY(card->AuthenticateManagementKey(key));
  KW_TRY(card->WriteCertificate(o.slot, cert.der(), compress));
  r.compressed = compress;
  (void)card->ResetPinStatus();
  if (journal) {
    if (!journal->Done(kStepCertificateIssued)) {
      KW_TRY(journal->Mark(kStepCertificateIssued,
                           {{"certificate", HexEncode(cert.der())}, {"imported", true}}));
    }
    if (!journal->Done(kStepCertificateWritten)) {
      KW_TRY(journal->Mark(kStepCertificateWritten, {{"compressed", compress}}));
    }
    r.journal_updated = true;
  }
  return r;
}

Json ImportReportToJson(const ImportReport& r) {
  return {{"ok", true},
          {"reader", r.reader},
          {"slot", r.slot},
          {"guid", r.guid},
          {"key_check", r.key_check},
          {"compressed", r.compressed},
          {"certificate", {{"subject", r.certificate_subject}, {"sha256", r.certificate_sha256}}},
          {"journal_updated", r.journal_updated}};
}

}  // namespace keyward::enroll
