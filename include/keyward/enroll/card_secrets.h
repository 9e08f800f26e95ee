// The secrets an enrolment uses and sets: the card's current PIN / PUK / management key (factory
// defaults unless the operator gives them) and the new ones (operator-supplied or generated here).
//
// Generated values: PIN and PUK are 8 random decimal digits (SP 800-73-4 Part 2 §2.4.3 allows
// 6-8 bytes; digits work with every middleware and PIN pad); a management key is random bytes of
// its algorithm's length: AES-192 by default, AES-256 on request, 3DES only when asked for
// explicitly (`allow_3des`; kInsecureAlgorithmRefused otherwise).
//
// Secrets live in SecretBytes. A secrets file (operator input) is `name=value` lines:
// current_pin, current_puk, current_management_key (hex), new_pin, new_puk,
// new_management_key (hex); `#` comments and blank lines ignored; anything else is
// kEnrollSecretsInvalid (the detail names the line number, never a value).
#ifndef KEYWARD_ENROLL_CARD_SECRETS_H_
#define KEYWARD_ENROLL_CARD_SECRETS_H_

#include <optional>
#include <string>
#include <string_view>

#include "keyward/export.h"
#include "keyward/pcsc/mgmt_key.h"
#include "keyward/secret.h"

KEYWARD_API_BEGIN

namespace keyward::enroll {

struct CardSecrets {
  std::optional<SecretBytes> current_pin;             // default 123456
  std::optional<SecretBytes> current_puk;             // default 12345678
  std::optional<SecretBytes> current_management_key;  // default: the well-known 3DES key
  std::optional<SecretBytes> new_pin;
  std::optional<SecretBytes> new_puk;
  std::optional<SecretBytes> new_management_key;

  // Parses a secrets file's text (see above).
  static Result<CardSecrets> Parse(std::string_view text);
};

Result<SecretBytes> GenerateNumericSecret(size_t digits);
Result<SecretBytes> GenerateManagementKey(pcsc::piv::Algorithm alg);
// The management-key algorithm for "aes192" / "aes256" / "aes128" / "3des".
Result<pcsc::piv::Algorithm> ManagementKeyAlgorithm(std::string_view name, bool allow_3des);
// A management key of `alg` whose raw bytes are `key` (kEnrollSecretsInvalid for a bad length).
Result<pcsc::piv::ManagementKey> MakeManagementKey(pcsc::piv::Algorithm alg,
                                                   const SecretBytes& key);
// A 6-8 byte PIN/PUK (kPinInvalid otherwise).
Result<void> CheckPinFormat(const SecretBytes& pin);

}  // namespace keyward::enroll

KEYWARD_API_END

#endif  // KEYWARD_ENROLL_CARD_SECRETS_H_
