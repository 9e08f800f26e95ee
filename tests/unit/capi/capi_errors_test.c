/* The C ABI's error model: names and numbers equal the C++ taxonomy, every entry point refuses
 * NULL arguments with invalid_argument (never crashes), out-parameters are cleared on failure. */
#include "capi_test.h"

/* Well-formed login arguments (they are read before the handle is looked at). */
#define EVIDENCE "{\"certificate_der\":\"AQ\",\"signature\":\"AQ\"}"
#define CARD_LOGIN "{\"certificate_fingerprint_sha256\":\"00\"}"

static void test_error_names(void) {
  keyward_error err;
  CHECK(strcmp(keyward_error_name(0), "ok") == 0);
  CHECK(strcmp(keyward_error_name(KEYWARD_kChallengeMismatch), "challenge_mismatch") == 0);
  CHECK(KEYWARD_kChallengeMismatch == 202);
  CHECK(KEYWARD_kInvalidArgument == 100);
  CHECK(KEYWARD_kInternal == 900);
  CHECK(strcmp(keyward_error_name(-5), "unknown") == 0);
  CHECK(strcmp(keyward_error_name(99999), "unknown") == 0);
  CHECK(keyward_error_code_from_name("challenge_replayed") == KEYWARD_kChallengeReplayed);
  CHECK(keyward_error_code_from_name("ok") == 0);
  CHECK(keyward_error_code_from_name("no_such_code") == -1);
  CHECK(keyward_error_code_from_name(NULL) == -1);

  size_t n = keyward_error_codes(NULL, 0);
  CHECK(n > 100);
  int* codes = (int*)malloc(n * sizeof(int));
  CHECK(keyward_error_codes(codes, n) == n);
  for (size_t i = 0; i < n; ++i) {
    const char* name = keyward_error_name(codes[i]);
    CHECK(strcmp(name, "unknown") != 0);
    CHECK(keyward_error_code_from_name(name) == codes[i]);
    for (size_t j = 0; j < i; ++j) CHECK(codes[i] != codes[j]);
  }
  int two[2] = {0, 0};
  CHECK(keyward_error_codes(two, 2) == n);
  CHECK(two[0] == codes[0] && two[1] == codes[1]);
  free(codes);

  CHECK(strlen(keyward_version()) > 0);
  CHECK(keyward_c_abi_version() == KEYWARD_C_ABI_VERSION);
  keyward_string_free(NULL);
  keyward_trust_free(NULL);
  keyward_authenticator_close(NULL);

  char* challenge = (char*)1;
  CHECK_OK(keyward_new_challenge(&challenge, &err), err);
  CHECK(challenge != NULL && strlen(challenge) == 43); /* 32 bytes, base64url unpadded */
  keyward_string_free(challenge);
  CHECK_ERR(keyward_new_challenge(NULL, &err), err, 100, "invalid_argument");
  /* err may be NULL: the return value alone carries the number. */
  CHECK(keyward_new_challenge(NULL, NULL) == KEYWARD_kInvalidArgument);
}

static void test_null_arguments(void) {
  keyward_error err;
  char* out = (char*)1;
  char* out2 = (char*)1;
  const char* resp = "{}";
  const char* exp = "{}";

  CHECK_ERR(keyward_creation_options(NULL, &out, &err), err, 100, "invalid_argument");
  CHECK(out == NULL);
  CHECK_ERR(keyward_creation_options("{}", NULL, &err), err, 100, "invalid_argument");
  CHECK_ERR(keyward_request_options(NULL, &out, &err), err, 100, "invalid_argument");
  CHECK_ERR(keyward_request_options("{}", NULL, &err), err, 100, "invalid_argument");
  CHECK_ERR(keyward_verify_registration(NULL, NULL, exp, &out, &err), err, 100, "invalid_argument");
  CHECK_ERR(keyward_verify_registration(NULL, resp, NULL, &out, &err), err, 100,
            "invalid_argument");
  CHECK_ERR(keyward_verify_authentication(NULL, exp, &out, &err), err, 100, "invalid_argument");
  CHECK_ERR(keyward_verify_authentication(resp, NULL, &out, &err), err, 100, "invalid_argument");
  CHECK_ERR(keyward_verify_case(NULL, NULL, &out, &err), err, 100, "invalid_argument");

  CHECK_ERR(keyward_trust_new(NULL, &err), err, 100, "invalid_argument");
  CHECK_ERR(keyward_trust_add_directory(NULL, "/tmp", &err), err, 100, "invalid_argument");
  CHECK_ERR(keyward_trust_add_file(NULL, "/tmp/x", &err), err, 100, "invalid_argument");
  CHECK_ERR(keyward_trust_add_root_der(NULL, (const uint8_t*)"", 0, &err), err, 100,
            "invalid_argument");
  CHECK_ERR(keyward_trust_load_mds(NULL, "/tmp/x", &err), err, 100, "invalid_argument");
  CHECK(keyward_trust_anchor_count(NULL) == 0);
  keyward_trust* trust = NULL;
  CHECK_OK(keyward_trust_new(&trust, &err), err);
  CHECK_ERR(keyward_trust_add_directory(trust, NULL, &err), err, 100, "invalid_argument");
  CHECK_ERR(keyward_trust_add_file(trust, NULL, &err), err, 100, "invalid_argument");
  CHECK_ERR(keyward_trust_add_root_der(trust, NULL, 3, &err), err, 100, "invalid_argument");
  CHECK_ERR(keyward_trust_load_mds(trust, NULL, &err), err, 100, "invalid_argument");
  keyward_trust_free(trust);

  keyward_authenticator* auth = (keyward_authenticator*)1;
  CHECK_ERR(keyward_authenticator_open(NULL, NULL, &auth, &err), err, 100, "invalid_argument");
  CHECK(auth == NULL);
  CHECK_ERR(keyward_authenticator_open("{}", NULL, NULL, &err), err, 100, "invalid_argument");
  CHECK_ERR(keyward_authenticator_open_with_clock(NULL, NULL, NULL, NULL, &auth, &err), err, 100,
            "invalid_argument");

  /* Every facade entry point with a NULL handle. */
  CHECK_ERR(keyward_create_principal(NULL, "a", "A", &out, &err), err, 100, "invalid_argument");
  CHECK(out == NULL);
  CHECK_ERR(keyward_get_principal(NULL, "p", &out, &err), err, 100, "invalid_argument");
  CHECK_ERR(keyward_find_principal_by_name(NULL, "a", &out, &err), err, 100, "invalid_argument");
  CHECK_ERR(keyward_list_principals(NULL, &out, &err), err, 100, "invalid_argument");
  CHECK_ERR(keyward_list_credentials(NULL, "p", &out, &err), err, 100, "invalid_argument");
  CHECK_ERR(keyward_begin_registration(NULL, "p", "passkey", &out, &err), err, 100,
            "invalid_argument");
  CHECK_ERR(keyward_finish_registration(NULL, "c", resp, NULL, &out, &err), err, 100,
            "invalid_argument");
  CHECK_ERR(keyward_enroll_certificate(NULL, "p", "{}", &out, &err), err, 100, "invalid_argument");
  CHECK_ERR(keyward_begin_login(NULL, NULL, &out, &err), err, 100, "invalid_argument");
  out2 = (char*)1;
  CHECK_ERR(keyward_finish_login(NULL, "c", resp, NULL, NULL, &out, &out2, &err), err, 100,
            "invalid_argument");
  CHECK(out == NULL && out2 == NULL);
  CHECK_ERR(keyward_finish_login(NULL, NULL, resp, NULL, NULL, &out, &out2, &err), err, 100,
            "invalid_argument");
  CHECK_ERR(keyward_finish_login(NULL, "c", NULL, NULL, NULL, &out, &out2, &err), err, 100,
            "invalid_argument");
  CHECK_ERR(keyward_finish_certificate_login(NULL, "c", EVIDENCE, NULL, NULL, &out, &out2, &err),
            err, 100, "invalid_argument");
  CHECK_ERR(keyward_finish_certificate_login(NULL, "c", NULL, NULL, NULL, &out, &out2, &err), err,
            100, "invalid_argument");
  CHECK_ERR(
      keyward_finish_verified_card_login(NULL, "c", CARD_LOGIN, NULL, NULL, &out, &out2, &err), err,
      100, "invalid_argument");
  CHECK_ERR(
      keyward_finish_verified_card_login(NULL, NULL, CARD_LOGIN, NULL, NULL, &out, &out2, &err),
      err, 100, "invalid_argument");
  CHECK_ERR(keyward_authorize(NULL, NULL, "admin", &out, &err), err, 100, "invalid_argument");
  CHECK_ERR(keyward_set_display_name(NULL, "p", "x", &err), err, 100, "invalid_argument");
  CHECK_ERR(keyward_rename_credential(NULL, "AA", "x", &err), err, 100, "invalid_argument");
  CHECK_ERR(keyward_remove_credential(NULL, "AA", &err), err, 100, "invalid_argument");
  CHECK_ERR(keyward_record_admin_action(NULL, "a", "s", "ok", NULL, &err), err, 100,
            "invalid_argument");
  CHECK_ERR(keyward_export_principal(NULL, "p", &out, &err), err, 100, "invalid_argument");
  CHECK_ERR(keyward_erase_principal(NULL, "p", &err), err, 100, "invalid_argument");
  CHECK_ERR(keyward_audit_tail(NULL, 0, &out, &err), err, 100, "invalid_argument");
  CHECK_ERR(keyward_audit_verify(NULL, &out, &err), err, 100, "invalid_argument");
  CHECK_ERR(keyward_audit_verify_lines(NULL, &out, &err), err, 100, "invalid_argument");
  CHECK(out == NULL);
}

int main(void) {
  test_error_names();
  test_null_arguments();
  return CAPI_TEST_RESULT();
}
