// Fuzz target: the C ABI's JSON-taking entry points (include/keyward/keyward.h). The first byte
// picks the entry point, the rest is the JSON text it reads: options parameters, verification
// expectations (against a fixed genuine W3C response), responses (against fixed expectations),
// whole verification cases, sessions (on a temporary store; the "login" action never writes)
// and request contexts, audit lines, smart-card login evidence.
// Every call must return a code, set or clear its out-parameters, and never crash or leak.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "keyward/keyward.h"

namespace {

// W3C WebAuthn L3 test vector "packed ES256" assertion (tests/data/w3c/w3c-packed-es256-auth.json).
constexpr char kResponse[] =
    R"({"id":"yab1s0YtAoc_6gxWhiI0-Z8IFygITlEbt3YCAaiQVKU","rawId":"yab1s0YtAoc_6gxWhiI0-Z8IFygITlEbt3YCAaiQVKU","type":"public-key","response":{"clientDataJSON":"eyJ0eXBlIjoid2ViYXV0aG4uZ2V0IiwiY2hhbGxlbmdlIjoic1JCdnBHcFh2dkY0RlJIQVZYM0ltS0EwRTlYdzhYMGtSakRCbE1maHJiVSIsIm9yaWdpbiI6Imh0dHBzOi8vZXhhbXBsZS5vcmciLCJjcm9zc09yaWdpbiI6ZmFsc2UsImV4dHJhRGF0YSI6ImNsaWVudERhdGFKU09OIG1heSBiZSBleHRlbmRlZCB3aXRoIGFkZGl0aW9uYWwgZmllbGRzIGluIHRoZSBmdXR1cmUsIHN1Y2ggYXMgdGhpczogQVpNd3lNeEliRDgtdWd1Rk5wNnI4USJ9","authenticatorData":"v6vDdDKViwYzYNOtZGHJxHNa5_jt1GWSpeDwFFKy5LUNAAAAAA","signature":"MEUCIGlJadPuko3m8C7yOpxkTX13mRZFFzSpS0MlQvSYoevpAiEAiwgZyCQhipcVLNCZxVv7FHeynZAKSaZAGDFPm_zNoWM"},"clientExtensionResults":{}})";
constexpr char kExpectations[] =
    R"({"expected_challenge":"sRBvpGpXvvF4FRHAVX3ImKA0E9Xw8X0kRjDBlMfhrbU","expected_origin":"https://example.org","expected_rp_id":"example.org","credential_public_key":"pQECAyYgASFYIBzyfyXaWRIIpCOcLjJPEE9YVSVHmint7t2DD0jneurlIlggWeS32mwBBuIGzjkMk6uYoVpew4h-V_DMK-zoA7kgxCM"})";

// A store in a private temporary directory (SQLite's WAL mode needs a file), removed at exit.
// Only keyward_authorize with the "login" action runs against it, which never writes.
std::string& StoreDir() {
  static std::string dir;
  return dir;
}

void RemoveStore() {
  for (const char* f : {"/fuzz.db", "/fuzz.db-wal", "/fuzz.db-shm"}) {
    std::remove((StoreDir() + f).c_str());
  }
  ::rmdir(StoreDir().c_str());
}

keyward_authenticator* Store() {
  static keyward_authenticator* auth = [] {
    char tmpl[] = "/tmp/keyward-fuzz-capi.XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) std::abort();
    StoreDir() = tmpl;
    std::atexit(RemoveStore);
    const std::string config =
        R"({"db_path":")" + StoreDir() +
        R"(/fuzz.db","rp_id":"example.org","origins":["https://example.org"]})";
    keyward_authenticator* a = nullptr;
    if (keyward_authenticator_open(config.c_str(), nullptr, &a, nullptr) != 0) std::abort();
    return a;
  }();
  return auth;
}

void Check(int rc, const keyward_error& err, char* out) {
  // The return value and the error struct agree; a failure never hands out a string.
  if (rc != err.code || std::strcmp(err.name, keyward_error_name(rc)) != 0) std::abort();
  if (std::strlen(err.detail) >= sizeof(err.detail)) std::abort();
  if (rc != 0 && out != nullptr) std::abort();
  keyward_string_free(out);
}

// The struct form of the assertion check must reach the same verdict as the JSON form.
void SameAsStruct(int rc, const char* response, const char* expectations) {
  keyward_assertion a;
  if (keyward_verify_authentication_struct(response, expectations, &a, nullptr) != rc) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  keyward_error err;
  char* out = nullptr;
  char* session = nullptr;
  int rc = 0;
  switch (data[0] % 11) {
    case 0:
      rc = keyward_creation_options(text.c_str(), &out, &err);
      break;
    case 1:
      rc = keyward_request_options(text.c_str(), &out, &err);
      break;
    case 2:
      rc = keyward_verify_authentication(kResponse, text.c_str(), &out, &err);
      SameAsStruct(rc, kResponse, text.c_str());
      break;
    case 3:
      rc = keyward_verify_authentication(text.c_str(), kExpectations, &out, &err);
      SameAsStruct(rc, text.c_str(), kExpectations);
      break;
    case 4:
      rc = keyward_verify_registration(nullptr, text.c_str(), kExpectations, &out, &err);
      break;
    case 5:
      rc = keyward_verify_case(nullptr, text.c_str(), &out, &err);
      keyward_string_free(out);  // a verdict comes back on rejections too
      out = nullptr;
      break;
    case 6:
      rc = keyward_authorize(Store(), text.c_str(), "login", &session, &err);
      keyward_string_free(session);
      break;
    case 7:
      // Context and session are read before the handle is looked at: no store needed (and none
      // written to).
      rc = keyward_finish_login(nullptr, "AAAAAAAAAAAAAAAAAAAAAA", kResponse, text.c_str(),
                                text.c_str(), &out, &session, &err);
      keyward_string_free(session);
      break;
    case 8:
      rc = keyward_audit_verify_lines(text.c_str(), &out, &err);
      break;
    case 9:  // smart-card evidence, read before the (absent) handle
      rc = keyward_finish_certificate_login(nullptr, "AAAAAAAAAAAAAAAAAAAAAA", text.c_str(),
                                            nullptr, nullptr, &out, &session, &err);
      keyward_string_free(session);
      break;
    default:
      rc = keyward_finish_verified_card_login(nullptr, "AAAAAAAAAAAAAAAAAAAAAA", text.c_str(),
                                              nullptr, nullptr, &out, &session, &err);
      keyward_string_free(session);
      break;
  }
  Check(rc, err, out);
  return 0;
}
