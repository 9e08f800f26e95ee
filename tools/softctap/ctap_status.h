// CTAP 2.1 §8.2 status codes and §6 command bytes used by the software authenticator.
#ifndef KEYWARD_TOOLS_SOFTCTAP_CTAP_STATUS_H_
#define KEYWARD_TOOLS_SOFTCTAP_CTAP_STATUS_H_

#include <cstdint>

namespace keyward::softctap {

namespace ctap {
inline constexpr uint8_t kOk = 0x00;
inline constexpr uint8_t kInvalidCommand = 0x01;
inline constexpr uint8_t kInvalidParameter = 0x02;
inline constexpr uint8_t kInvalidLength = 0x03;
inline constexpr uint8_t kInvalidSeq = 0x04;
inline constexpr uint8_t kTimeout = 0x05;
inline constexpr uint8_t kChannelBusy = 0x06;
inline constexpr uint8_t kInvalidChannel = 0x0b;
inline constexpr uint8_t kCborUnexpectedType = 0x11;
inline constexpr uint8_t kInvalidCbor = 0x12;
inline constexpr uint8_t kMissingParameter = 0x14;
inline constexpr uint8_t kLimitExceeded = 0x15;
inline constexpr uint8_t kCredentialExcluded = 0x19;
inline constexpr uint8_t kInvalidCredential = 0x22;
inline constexpr uint8_t kUnsupportedAlgorithm = 0x26;
inline constexpr uint8_t kOperationDenied = 0x27;
inline constexpr uint8_t kKeyStoreFull = 0x28;
inline constexpr uint8_t kUnsupportedOption = 0x2b;
inline constexpr uint8_t kInvalidOption = 0x2c;
inline constexpr uint8_t kKeepaliveCancel = 0x2d;
inline constexpr uint8_t kNoCredentials = 0x2e;
inline constexpr uint8_t kUserActionTimeout = 0x2f;
inline constexpr uint8_t kNotAllowed = 0x30;
inline constexpr uint8_t kPinInvalid = 0x31;
inline constexpr uint8_t kPinBlocked = 0x32;
inline constexpr uint8_t kPinAuthInvalid = 0x33;
inline constexpr uint8_t kPinAuthBlocked = 0x34;
inline constexpr uint8_t kPinNotSet = 0x35;
inline constexpr uint8_t kPuatRequired = 0x36;
inline constexpr uint8_t kPinPolicyViolation = 0x37;
inline constexpr uint8_t kRequestTooLarge = 0x39;
inline constexpr uint8_t kUvBlocked = 0x3c;
inline constexpr uint8_t kInvalidSubcommand = 0x3e;
inline constexpr uint8_t kUvInvalid = 0x3f;
inline constexpr uint8_t kUnauthorizedPermission = 0x40;
inline constexpr uint8_t kOther = 0x7f;
}  // namespace ctap

namespace ctap_cmd {
inline constexpr uint8_t kMakeCredential = 0x01;
inline constexpr uint8_t kGetAssertion = 0x02;
inline constexpr uint8_t kGetInfo = 0x04;
inline constexpr uint8_t kClientPin = 0x06;
inline constexpr uint8_t kReset = 0x07;
inline constexpr uint8_t kGetNextAssertion = 0x08;
inline constexpr uint8_t kCredentialManagement = 0x0a;
inline constexpr uint8_t kSelection = 0x0b;
inline constexpr uint8_t kConfig = 0x0d;
inline constexpr uint8_t kCredentialManagementPreview = 0x41;
}  // namespace ctap_cmd

// pinUvAuthToken permissions (CTAP 2.1 §6.5.5.7).
namespace permission {
inline constexpr uint8_t kMakeCredential = 0x01;
inline constexpr uint8_t kGetAssertion = 0x02;
inline constexpr uint8_t kCredentialManagement = 0x04;
inline constexpr uint8_t kBioEnrollment = 0x08;
inline constexpr uint8_t kLargeBlobWrite = 0x10;
inline constexpr uint8_t kAuthenticatorConfig = 0x20;
}  // namespace permission

}  // namespace keyward::softctap

#endif  // KEYWARD_TOOLS_SOFTCTAP_CTAP_STATUS_H_
