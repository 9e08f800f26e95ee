// `keyward card import-cert`: puts a certificate an external CA issued (for a request written by
// `keyward card enroll --csr-out`) into its PIV slot, after checking that the certificate's public
// key IS the key in that slot:
//   1. GET METADATA's public key for the slot (cards that have it), else
//   2. the key this card's enrolment journal recorded when keyward generated it, else
//   3. proof by signature: the card signs a random digest with the slot's key (PIN verified
//      first) and the signature must verify under the certificate's key.
// A different key is kEnrollCertificateKeyMismatch; nothing is written then. The certificate is
// written compressed when it would not fit the card's object (enrollment.h), and the journal
// records it (certificate_issued + certificate_written) so `keyward card enroll` can finish the
// remaining steps (CCC, PIN/PUK/management key, login check).
#ifndef KEYWARD_ENROLL_IMPORT_CERT_H_
#define KEYWARD_ENROLL_IMPORT_CERT_H_

#include <string>

#include "keyward/core/json.h"
#include "keyward/enroll/card_secrets.h"
#include "keyward/enroll/enrollment.h"
#include "keyward/export.h"

KEYWARD_API_BEGIN

namespace keyward::enroll {

struct ImportOptions {
  std::string reader;
  pcsc::piv::Slot slot = pcsc::piv::Slot::kAuthentication;
  Bytes certificate;    // DER or PEM bytes as read from the file
  CardSecrets secrets;  // current_pin (signature check), current_management_key
  pcsc::piv::Algorithm current_management_key_algorithm = pcsc::piv::Algorithm::kTripleDes;
  size_t max_object_size = kDefaultMaxObjectSize;
  std::string journal_dir;
};

struct ImportReport {
  std::string reader, slot, guid;
  std::string key_check;  // "metadata" | "journal" | "signature"
  bool compressed = false;
  std::string certificate_subject, certificate_sha256;
  bool journal_updated = false;
};

Result<ImportReport> ImportCertificate(const ImportOptions& options);
Json ImportReportToJson(const ImportReport& report);

}  // namespace keyward::enroll

KEYWARD_API_END

#endif  // KEYWARD_ENROLL_IMPORT_CERT_H_
