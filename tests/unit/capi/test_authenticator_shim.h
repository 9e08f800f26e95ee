/* Test support for the C ABI tests: keyward's C++ software authenticator
 * (tests/support/webauthn_test_authenticator.h) behind a C interface, so the C tests can make
 * genuine, freshly signed WebAuthn responses. Test-only; not part of the C ABI. */
#ifndef KEYWARD_TESTS_UNIT_CAPI_TEST_AUTHENTICATOR_SHIM_H_
#define KEYWARD_TESTS_UNIT_CAPI_TEST_AUTHENTICATOR_SHIM_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kwt_authenticator kwt_authenticator;

/* A new ES256 credential. */
kwt_authenticator* kwt_new(void);
void kwt_free(kwt_authenticator* a);
/* RegistrationResponseJSON (fmt "none") for this credential; flags e.g. 0x45 (UP|UV|AT);
 * malloc'd, free(). */
char* kwt_register(const kwt_authenticator* a, const char* challenge_b64url, const char* rp_id,
                   const char* origin, unsigned flags);
/* AuthenticationResponseJSON; user_handle_b64url may be NULL; flags e.g. 0x05 (UP|UV). */
char* kwt_assert(const kwt_authenticator* a, const char* challenge_b64url, const char* rp_id,
                 const char* origin, unsigned flags, uint32_t sign_count,
                 const char* user_handle_b64url);
/* The credential's COSE_Key and id, base64url; malloc'd. */
char* kwt_public_key(const kwt_authenticator* a);
char* kwt_credential_id(const kwt_authenticator* a);

#ifdef __cplusplus
}
#endif

#endif
