#include "pcsc/piv_types.h"

#include <string>

namespace keyward::pcsc::piv {

std::optional<Slot> SlotFromByte(uint8_t b) {
  switch (b) {
    case 0x9A: return Slot::kAuthentication;
    case 0x9B: return Slot::kManagement;
    case 0x9C: return Slot::kSignature;
    case 0x9D: return Slot::kKeyManagement;
    case 0x9E: return Slot::kCardAuthentication;
    default: return std::nullopt;
  }
}

std::optional<Slot> SlotFromName(std::string_view name) {
  std::string n(name);
  for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (n == "9a" || n == "authentication") return Slot::kAuthentication;
  if (n == "9c" || n == "signature") return Slot::kSignature;
  if (n == "9d" || n == "key-management" || n == "keymanagement") return Slot::kKeyManagement;
  if (n == "9e" || n == "card-authentication") return Slot::kCardAuthentication;
  return std::nullopt;
}

std::string_view SlotName(Slot s) {
  switch (s) {
    case Slot::kAuthentication: return "9a";
    case Slot::kManagement: return "9b";
    case Slot::kSignature: return "9c";
    case Slot::kKeyManagement: return "9d";
    case Slot::kCardAuthentication: return "9e";
  }
  return "??";
}

std::optional<Algorithm> AlgorithmFromByte(uint8_t b) {
  switch (b) {
    case 0x00:  // SP 800-78: 00 is 3DES-ECB too
    case 0x03: return Algorithm::kTripleDes;
    case 0x06: return Algorithm::kRsa1024;
    case 0x07: return Algorithm::kRsa2048;
    case 0x08: return Algorithm::kAes128;
    case 0x0A: return Algorithm::kAes192;
    case 0x0C: return Algorithm::kAes256;
    case 0x11: return Algorithm::kEccP256;
    case 0x14: return Algorithm::kEccP384;
    default: return std::nullopt;
  }
}

std::string_view AlgorithmName(Algorithm a) {
  switch (a) {
    case Algorithm::kTripleDes: return "3des";
    case Algorithm::kRsa1024: return "rsa1024";
    case Algorithm::kRsa2048: return "rsa2048";
    case Algorithm::kAes128: return "aes128";
    case Algorithm::kAes192: return "aes192";
    case Algorithm::kAes256: return "aes256";
    case Algorithm::kEccP256: return "eccp256";
    case Algorithm::kEccP384: return "eccp384";
  }
  return "unknown";
}

bool IsSymmetric(Algorithm a) {
  return a == Algorithm::kTripleDes || a == Algorithm::kAes128 || a == Algorithm::kAes192 ||
         a == Algorithm::kAes256;
}
bool IsEcc(Algorithm a) { return a == Algorithm::kEccP256 || a == Algorithm::kEccP384; }
bool IsRsa(Algorithm a) { return a == Algorithm::kRsa1024 || a == Algorithm::kRsa2048; }

size_t AlgorithmBlockSize(Algorithm a) {
  switch (a) {
    case Algorithm::kTripleDes: return 8;
    case Algorithm::kAes128:
    case Algorithm::kAes192:
    case Algorithm::kAes256: return 16;
    case Algorithm::kRsa1024: return 128;
    case Algorithm::kRsa2048: return 256;
    case Algorithm::kEccP256: return 32;
    case Algorithm::kEccP384: return 48;
  }
  return 0;
}

uint32_t CertificateTag(Slot s) {
  switch (s) {
    case Slot::kAuthentication: return kTagCertAuthentication;
    case Slot::kSignature: return kTagCertSignature;
    case Slot::kKeyManagement: return kTagCertKeyManagement;
    case Slot::kCardAuthentication: return kTagCertCardAuthentication;
    case Slot::kManagement: break;
  }
  return 0;
}

}  // namespace keyward::pcsc::piv
