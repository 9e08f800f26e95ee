#include "tests/unit/capi/test_authenticator_shim.h"

#include <cstdlib>
#include <cstring>

#include "core/base64url.h"
#include "tests/support/webauthn_test_authenticator.h"

struct kwt_authenticator {
  keyward::testing::TestAuthenticator a;
};

namespace {
char* Dup(const std::string& s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (p == nullptr) std::abort();
  std::memcpy(p, s.c_str(), s.size() + 1);
  return p;
}
keyward::Bytes Decode(const char* b64) {
  auto b = keyward::Base64UrlDecode(b64);
  if (!b) std::abort();
  return *b;
}
}  // namespace

extern "C" {

kwt_authenticator* kwt_new(void) { return new kwt_authenticator(); }
void kwt_free(kwt_authenticator* a) { delete a; }

char* kwt_register(const kwt_authenticator* a, const char* challenge, const char* rp_id,
                   const char* origin, unsigned flags) {
  keyward::testing::RegistrationSpec spec;
  spec.rp_id = rp_id;
  spec.client.challenge = Decode(challenge);
  spec.client.origin = origin;
  spec.flags = static_cast<uint8_t>(flags);
  return Dup(keyward::testing::TestAuthenticator::ToJson(a->a.Register(spec)));
}

char* kwt_assert(const kwt_authenticator* a, const char* challenge, const char* rp_id,
                 const char* origin, unsigned flags, uint32_t sign_count, const char* user_handle) {
  keyward::testing::AssertionSpec spec;
  spec.rp_id = rp_id;
  spec.client.challenge = Decode(challenge);
  spec.client.origin = origin;
  spec.flags = static_cast<uint8_t>(flags);
  spec.sign_count = sign_count;
  if (user_handle != nullptr) spec.user_handle = Decode(user_handle);
  return Dup(keyward::testing::TestAuthenticator::ToJson(a->a.Assert(spec)));
}

char* kwt_public_key(const kwt_authenticator* a) {
  return Dup(keyward::Base64UrlEncode(a->a.key().CoseBytes()));
}
char* kwt_credential_id(const kwt_authenticator* a) {
  return Dup(keyward::Base64UrlEncode(a->a.credential_id()));
}

}  // extern "C"
