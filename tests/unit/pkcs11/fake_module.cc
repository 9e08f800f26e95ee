// A deliberately tiny PKCS#11 module for the edge cases SoftHSM2 cannot produce: a locked or
// nearly locked user PIN (SoftHSM 2.6.1 never locks), a removed token, a v3.0 C_GetInterface
// entry point, slot events. Behaviour comes from environment variables read at C_Initialize:
//   FAKE_P11_TOKEN_FLAGS  CK_TOKEN_INFO.flags (decimal)
//   FAKE_P11_LOGIN_RV     what C_Login returns (decimal CK_RV)
//   FAKE_P11_TOKEN_RV     what C_GetTokenInfo returns (decimal CK_RV)
// Used only by tests (module_fake_test.cc); it is not a PKCS#11 implementation.
#include <p11-kit/pkcs11.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace {

CK_FLAGS g_token_flags = 0;
CK_RV g_login_rv = CKR_OK;
CK_RV g_token_rv = CKR_OK;
bool g_initialized = false;
int g_events = 0;
bool g_no_slot_events = false;  // C_WaitForSlotEvent unimplemented in both forms

unsigned long EnvNumber(const char* name, unsigned long fallback) {  // NOLINT(runtime/int)
  const char* v = std::getenv(name);
  return v ? std::strtoul(v, nullptr, 10) : fallback;
}

void Pad(CK_UTF8CHAR* field, size_t size, const char* text) {
  std::memset(field, ' ', size);
  std::memcpy(field, text, std::min(size, std::strlen(text)));
}

CK_RV Initialize(void*) {
  if (g_initialized) return CKR_CRYPTOKI_ALREADY_INITIALIZED;
  g_token_flags = EnvNumber("FAKE_P11_TOKEN_FLAGS",
                            CKF_TOKEN_INITIALIZED | CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED);
  g_login_rv = EnvNumber("FAKE_P11_LOGIN_RV", CKR_OK);
  g_token_rv = EnvNumber("FAKE_P11_TOKEN_RV", CKR_OK);
  g_initialized = true;
  g_events = 1;
  g_no_slot_events = EnvNumber("FAKE_P11_NO_SLOT_EVENTS", 0) != 0;
  return CKR_OK;
}
CK_RV Finalize(void*) {
  if (!g_initialized) return CKR_CRYPTOKI_NOT_INITIALIZED;
  g_initialized = false;
  return CKR_OK;
}
CK_RV GetInfo(CK_INFO* info) {
  std::memset(info, 0, sizeof(*info));
  info->cryptokiVersion = {3, 0};
  Pad(info->manufacturerID, sizeof(info->manufacturerID), "keyward tests");
  Pad(info->libraryDescription, sizeof(info->libraryDescription), "fake module");
  return CKR_OK;
}
CK_RV GetSlotList(CK_BBOOL, CK_SLOT_ID* list, CK_ULONG* count) {
  if (!g_initialized) return CKR_CRYPTOKI_NOT_INITIALIZED;
  if (list) {
    if (*count < 1) return CKR_BUFFER_TOO_SMALL;
    list[0] = 7;
  }
  *count = 1;
  return CKR_OK;
}
CK_RV GetSlotInfo(CK_SLOT_ID slot, CK_SLOT_INFO* info) {
  if (slot != 7) return CKR_SLOT_ID_INVALID;
  std::memset(info, 0, sizeof(*info));
  Pad(info->slotDescription, sizeof(info->slotDescription), "fake reader");
  Pad(info->manufacturerID, sizeof(info->manufacturerID), "keyward tests");
  info->flags = CKF_TOKEN_PRESENT | CKF_REMOVABLE_DEVICE | CKF_HW_SLOT;
  return CKR_OK;
}
CK_RV GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO* info) {
  if (slot != 7) return CKR_SLOT_ID_INVALID;
  if (g_token_rv != CKR_OK) return g_token_rv;
  std::memset(info, 0, sizeof(*info));
  Pad(info->label, sizeof(info->label), "fake token");
  Pad(info->manufacturerID, sizeof(info->manufacturerID), "keyward tests");
  Pad(info->model, sizeof(info->model), "fake");
  Pad(info->serialNumber, sizeof(info->serialNumber), "0001");
  info->flags = g_token_flags;
  return CKR_OK;
}
CK_RV OpenSession(CK_SLOT_ID slot, CK_FLAGS, void*, CK_NOTIFY, CK_SESSION_HANDLE* h) {
  if (slot != 7) return CKR_SLOT_ID_INVALID;
  *h = 1;
  return CKR_OK;
}
CK_RV CloseSession(CK_SESSION_HANDLE) { return CKR_OK; }
// A token with a protected authentication path (pinpad) takes no PIN from the host; any other
// needs one (PKCS#11 v2.40 §5.6 C_Login).
CK_RV Login(CK_SESSION_HANDLE, CK_USER_TYPE, CK_UTF8CHAR* pin, CK_ULONG) {
  bool pinpad = (g_token_flags & CKF_PROTECTED_AUTHENTICATION_PATH) != 0;
  if (pinpad != (pin == nullptr)) return CKR_ARGUMENTS_BAD;
  return g_login_rv;
}
CK_RV Logout(CK_SESSION_HANDLE) { return CKR_OK; }
CK_RV FindObjectsInit(CK_SESSION_HANDLE, CK_ATTRIBUTE*, CK_ULONG) { return CKR_OK; }
CK_RV FindObjects(CK_SESSION_HANDLE, CK_OBJECT_HANDLE*, CK_ULONG, CK_ULONG* n) {
  *n = 0;
  return CKR_OK;
}
CK_RV FindObjectsFinal(CK_SESSION_HANDLE) { return CKR_OK; }
CK_RV WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID* slot, void*) {
  if (g_no_slot_events) return CKR_FUNCTION_NOT_SUPPORTED;
  if (g_events > 0) {
    --g_events;
    *slot = 7;
    return CKR_OK;
  }
  return (flags & CKF_DONT_BLOCK) ? CKR_NO_EVENT : CKR_FUNCTION_NOT_SUPPORTED;
}

CK_FUNCTION_LIST MakeList() {
  CK_FUNCTION_LIST l{};
  l.version = {3, 0};
  l.C_Initialize = Initialize;
  l.C_Finalize = Finalize;
  l.C_GetInfo = GetInfo;
  l.C_GetSlotList = GetSlotList;
  l.C_GetSlotInfo = GetSlotInfo;
  l.C_GetTokenInfo = GetTokenInfo;
  l.C_OpenSession = OpenSession;
  l.C_CloseSession = CloseSession;
  l.C_Login = Login;
  l.C_Logout = Logout;
  l.C_FindObjectsInit = FindObjectsInit;
  l.C_FindObjects = FindObjects;
  l.C_FindObjectsFinal = FindObjectsFinal;
  l.C_WaitForSlotEvent = WaitForSlotEvent;
  return l;
}

CK_FUNCTION_LIST g_list = MakeList();

struct Interface {
  CK_UTF8CHAR* name;
  void* list;
  CK_FLAGS flags;
};
CK_UTF8CHAR g_name[] = "PKCS 11";
Interface g_interface = {g_name, &g_list, 0};

}  // namespace

extern "C" {
__attribute__((visibility("default"))) CK_RV C_GetFunctionList(CK_FUNCTION_LIST** list) {
  *list = &g_list;
  return CKR_OK;
}
__attribute__((visibility("default"))) CK_RV C_GetInterface(CK_UTF8CHAR* name, CK_VERSION*,
                                                            Interface** out, CK_FLAGS) {
  if (name && std::strcmp(reinterpret_cast<char*>(name), "PKCS 11") != 0) return CKR_ARGUMENTS_BAD;
  *out = &g_interface;
  return CKR_OK;
}
}
