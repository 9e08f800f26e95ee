// `keyward card enroll`: issue a PIV card that logs in (NIST SP 800-73-4 card commands through
// pcsc/piv_client.h), one step at a time, each recorded in the card's journal (journal.h):
//
//   chuid_written        a fresh CHUID when the card has none (its GUID keys the journal)
//   (management key)     authenticated (default or given); a wrong one is
//                        piv_management_key_auth_failed
//   (slot check)         a slot holding a key or a certificate keyward did not put there is
//                        piv_slot_occupied unless `force`
//   key_generation_started / key_generated   GENERATE ASYMMETRIC KEY PAIR on the card
//   csr_signed           PKCS#10 built from the card's public key, signed by the card (PIN),
//                        self-signature verified (csr.h)
//   csr_written          (external CA) the request as PEM; the enrolment stops here until
//                        `keyward card import-cert`
//   certificate_issued   by the local CA (local_ca.h)
//   certificate_written  PUT DATA of the certificate object, gzip-compressed when the plain
//                        object would exceed the card's object limit (3052 bytes by default)
//   ccc_written          a Card Capability Container when the card has none
//   pin_changed / puk_changed / management_key_changed   to the operator's or generated values
//   login_verified       a real certificate login through PKCS#11 (login_check.h)
//
// Resume: a re-run on the same card skips every recorded step. It never generates a second key
// once a certificate was issued for the first (unless `force`, which starts the journal over),
// never changes a PIN, PUK or management key twice, and reuses a generated key whose certificate
// was not yet issued (the card must still sign for it: the request's self-signature proves it).
// A card pulled mid-way ends the run with pcsc_card_removed (or the step's error) and a report
// listing the steps that completed.
#ifndef KEYWARD_ENROLL_ENROLLMENT_H_
#define KEYWARD_ENROLL_ENROLLMENT_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "keyward/core/json.h"
#include "keyward/enroll/card_secrets.h"
#include "keyward/enroll/login_check.h"
#include "keyward/enroll/profile.h"
#include "keyward/export.h"
#include "keyward/pcsc/piv_types.h"

KEYWARD_API_BEGIN

namespace keyward::enroll {

// SP 800-73-4 leaves object sizes to the card; YubiKey 4/5 accept at most 3052 bytes per
// certificate. Objects larger than this are written compressed.
inline constexpr size_t kDefaultMaxObjectSize = 3052;

struct EnrollOptions {
  std::string reader;  // empty: the only reader holding a card
  UserRecord user;
  std::string subject_base;  // e.g. "O=Example Corp,C=DE"
  pcsc::piv::Slot slot = pcsc::piv::Slot::kAuthentication;
  pcsc::piv::Algorithm algorithm = pcsc::piv::Algorithm::kEccP256;
  bool force = false;  // overwrite an occupied slot / start a card's journal over

  // Issuance: a local CA (both files), or a request written to csr_out for an external CA.
  std::string ca_cert_path;
  std::string ca_key_path;
  std::string csr_out_path;
  int validity_days = 365;

  CardSecrets secrets;
  pcsc::piv::Algorithm current_management_key_algorithm = pcsc::piv::Algorithm::kTripleDes;
  pcsc::piv::Algorithm new_management_key_algorithm = pcsc::piv::Algorithm::kAes192;
  bool change_pin = true;
  bool change_puk = true;
  bool change_management_key = true;

  size_t max_object_size = kDefaultMaxObjectSize;
  std::string journal_dir;  // empty: DefaultJournalDir()

  bool verify_login = true;
  std::string pkcs11_module = kOpenScModule;
  int64_t now = 0;  // 0: the wall clock

  // Called as each step finishes (progress output).
  std::function<void(const std::string& step, const std::string& status)> on_step;
};

struct StepOutcome {
  std::string step;
  std::string status;  // "done" | "already_done" | "skipped" | "failed"
  std::string detail;
};

// Secrets generated (and set on the card) by THIS run. Never journaled, never in an error.
struct GeneratedSecrets {
  std::optional<SecretBytes> pin, puk, management_key;
  std::string management_key_algorithm;
  bool any() const { return pin || puk || management_key; }
};

struct EnrollReport {
  std::string reader;
  std::string guid;  // CHUID GUID, hex
  std::string journal_path;
  std::string username;
  std::string slot, algorithm;
  std::vector<StepOutcome> steps;
  std::vector<std::string> changed;  // what this run changed on the card, in words
  Bytes certificate;                 // DER, when issued/imported
  std::string certificate_subject, certificate_serial, certificate_sha256;
  bool certificate_compressed = false;
  std::string csr_path;
  bool awaiting_certificate = false;  // external CA: import-cert comes next
  std::optional<LoginCheckResult> login;
  GeneratedSecrets generated;
  std::optional<Error> error;  // the run stopped here
  bool completed = false;
};

// Runs (or resumes) the enrolment of the card in `options.reader`. Always returns a report;
// report.error says why it stopped early.
EnrollReport Enroll(const EnrollOptions& options);

// Report → JSON (never containing secrets; `generated` is added by the caller that prints it).
Json ReportToJson(const EnrollReport& report);
Json GeneratedToJson(const GeneratedSecrets& generated);
Json ErrorToJson(const Error& error);

// Whether a certificate must be written compressed to fit `max_object_size` (the encoded
// 70/71/FE contents); kEnrollCertificateTooLarge when it does not fit even compressed.
Result<bool> ChooseCompression(ByteSpan der, size_t max_object_size);

// The reader to use: `wanted`, or the only reader with a card (kPcscNoCard / kInvalidArgument
// when none or several).
Result<std::string> ChooseReader(const std::string& wanted);

}  // namespace keyward::enroll

KEYWARD_API_END

#endif  // KEYWARD_ENROLL_ENROLLMENT_H_
