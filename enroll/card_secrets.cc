#include "enroll/card_secrets.h"

#include "core/hash.h"
#include "core/text_lines.h"

namespace keyward::enroll {

using pcsc::piv::Algorithm;

Result<CardSecrets> CardSecrets::Parse(std::string_view text) {
  if (text.size() > 64 * 1024) return Fail(ErrorCode::kEnrollSecretsInvalid, "secrets too long");
  CardSecrets s;
  TextLines lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    const size_t line_no = lines.number();
    if (line.empty() || line.front() == '#') continue;
    size_t eq = line.find('=');
    std::string where = "secrets line " + std::to_string(line_no);
    if (eq == std::string_view::npos) {
      return Fail(ErrorCode::kEnrollSecretsInvalid, where + ": expected name=value", line_no);
    }
    std::string_view name = line.substr(0, eq);
    std::string_view value = line.substr(eq + 1);
    std::optional<SecretBytes>* slot = nullptr;
    bool hex = false;
    if (name == "current_pin") {
      slot = &s.current_pin;
    } else if (name == "current_puk") {
      slot = &s.current_puk;
    } else if (name == "current_management_key") {
      slot = &s.current_management_key;
      hex = true;
    } else if (name == "new_pin") {
      slot = &s.new_pin;
    } else if (name == "new_puk") {
      slot = &s.new_puk;
    } else if (name == "new_management_key") {
      slot = &s.new_management_key;
      hex = true;
    } else {
      return Fail(ErrorCode::kEnrollSecretsInvalid, where + ": unknown name", line_no);
    }
    if (slot->has_value()) {
      return Fail(ErrorCode::kEnrollSecretsInvalid, where + ": given twice", line_no);
    }
    if (hex) {
      auto bytes = HexDecode(value);
      if (!bytes) return Fail(ErrorCode::kEnrollSecretsInvalid, where + ": not hex", line_no);
      *slot = SecretBytes(*bytes);
      OPENSSL_cleanse(bytes->data(), bytes->size());
    } else {
      *slot = SecretBytes(value);
      KW_TRY(CheckPinFormat(**slot));
    }
  }
  return s;
}

Result<void> CheckPinFormat(const SecretBytes& pin) {
  if (pin.size() < 6 || pin.size() > 8) return Fail(ErrorCode::kPinInvalid, "PIN/PUK: 6-8 bytes");
  for (uint8_t c : pin.reveal()) {
    if (c == 0xFF || c < 0x20 || c > 0x7E) {
      return Fail(ErrorCode::kPinInvalid, "PIN/PUK: printable ASCII only");
    }
  }
  return Ok();
}

Result<SecretBytes> GenerateNumericSecret(size_t digits) {
  std::string out;
  while (out.size() < digits) {
    KW_ASSIGN_OR_RETURN(Bytes r, RandomBytes(16));
    for (uint8_t b : r) {
      if (b < 250 && out.size() < digits) out.push_back(static_cast<char>('0' + b % 10));
    }
    OPENSSL_cleanse(r.data(), r.size());
  }
  SecretBytes s(out);
  OPENSSL_cleanse(out.data(), out.size());
  return s;
}

Result<Algorithm> ManagementKeyAlgorithm(std::string_view name, bool allow_3des) {
  if (name == "aes192") return Algorithm::kAes192;
  if (name == "aes256") return Algorithm::kAes256;
  if (name == "aes128") return Algorithm::kAes128;
  if (name == "3des") {
    if (!allow_3des) {
      return Fail(ErrorCode::kInsecureAlgorithmRefused,
                  "a 3DES management key needs --allow-3des (AES-192 is the default)");
    }
    return Algorithm::kTripleDes;
  }
  return Fail(ErrorCode::kEnrollOptionsInvalid,
              "management key algorithm: aes192|aes256|aes128|3des");
}

Result<SecretBytes> GenerateManagementKey(Algorithm alg) {
  size_t n = alg == Algorithm::kAes128 ? 16 : alg == Algorithm::kAes256 ? 32 : 24;
  if (!pcsc::piv::IsSymmetric(alg)) {
    return Fail(ErrorCode::kPivUnsupportedAlgorithm, "management keys are 3DES or AES");
  }
  KW_ASSIGN_OR_RETURN(Bytes r, RandomBytes(n));
  SecretBytes s(r);
  OPENSSL_cleanse(r.data(), r.size());
  return s;
}

Result<pcsc::piv::ManagementKey> MakeManagementKey(Algorithm alg, const SecretBytes& key) {
  auto k = pcsc::piv::ManagementKey::Create(alg, SecretBytes(key.reveal()));
  if (!k) {
    return Fail(ErrorCode::kEnrollSecretsInvalid,
                "management key length does not fit " + std::string(pcsc::piv::AlgorithmName(alg)));
  }
  return std::move(*k);
}

}  // namespace keyward::enroll
