/* The C ABI's WebAuthn part: options, trust, the example cases and the W3C vectors through
 * keyward_verify_case, and fresh registrations/assertions through keyward_verify_registration /
 * keyward_verify_authentication with every rejection path asserting its number and name. */
#define _DEFAULT_SOURCE
#include <dirent.h>

#include "capi_test.h"
#include "test_authenticator_shim.h"

#define RP "example.com"
#define ORIGIN "https://example.com"

/* Expected rejection codes of the cases that must fail. */
static const char* expected_failure(const char* file) {
  if (strstr(file, "03-wrong-challenge-authentication")) return "challenge_mismatch";
  if (strstr(file, "w3c-android-key-es256-reg")) return "android_key_authorization_invalid";
  return NULL;
}

static int run_cases(const char* dir) {
  keyward_error err;
  int ran = 0;
  DIR* d = opendir(dir);
  CHECK(d != NULL);
  if (d == NULL) return 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    size_t len = strlen(e->d_name);
    if (len < 5 || strcmp(e->d_name + len - 5, ".json") != 0) continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    char* text = capi_read_file(path);
    CHECK(text != NULL);
    if (text == NULL) continue;
    char* expect = capi_json_string(text, "expect");
    char* verdict = NULL;
    int rc = keyward_verify_case(NULL, text, &verdict, &err);
    CHECK(verdict != NULL);
    if (expect != NULL && strcmp(expect, "ok") == 0) {
      if (rc != 0) fprintf(stderr, "case %s: %s\n", e->d_name, verdict ? verdict : "");
      CHECK_OK(rc, err);
      CHECK(verdict && strstr(verdict, "\"verified\": true"));
    } else {
      const char* code = expected_failure(e->d_name);
      CHECK(code != NULL);
      if (code != NULL) CHECK_ERR(rc, err, keyward_error_code_from_name(code), code);
      CHECK(verdict && strstr(verdict, "\"verified\": false"));
    }
    keyward_string_free(verdict);
    free(expect);
    free(text);
    ++ran;
  }
  closedir(d);
  return ran;
}

static void test_cases(void) {
  CHECK(run_cases(KEYWARD_SOURCE_DIR "/examples/cases") == 3);
  CHECK(run_cases(KEYWARD_SOURCE_DIR "/tests/data/w3c") == 30);
  keyward_error err;
  char* verdict = NULL;
  CHECK_ERR(keyward_verify_case(NULL, "not json", &verdict, &err), err, 110, "json_malformed");
  CHECK(verdict != NULL && strstr(verdict, "case_error"));
  keyward_string_free(verdict);
  CHECK_ERR(keyward_verify_case(NULL, "{\"kind\":\"x\"}", &verdict, &err), err, 100,
            "invalid_argument");
  keyward_string_free(verdict);
}

static void test_options(void) {
  keyward_error err;
  char* out = NULL;
  CHECK_OK(keyward_creation_options(
               "{\"rp\":{\"id\":\"example.com\",\"name\":\"Example\"},"
               "\"user\":{\"id\":\"AQID\",\"name\":\"alice\",\"display_name\":\"Alice\"},"
               "\"pub_key_cred_params\":[-7,-257],\"attestation\":\"direct\","
               "\"authenticator_selection\":{\"resident_key\":\"required\","
               "\"user_verification\":\"required\"},\"extensions\":{\"cred_props\":true},"
               "\"exclude_credentials\":[{\"id\":\"AAAA\",\"transports\":[\"usb\"]}]}",
               &out, &err),
           err);
  CHECK(out != NULL && strstr(out, "\"challenge\"") && strstr(out, "example.com"));
  char* challenge = out ? capi_json_string(out, "challenge") : NULL;
  CHECK(challenge != NULL && strlen(challenge) == 43);
  free(challenge);
  keyward_string_free(out);
  /* A given challenge is used as is. */
  CHECK_OK(keyward_request_options("{\"rp_id\":\"example.com\","
                                   "\"challenge\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
                                   "\"allow_credentials\":[{\"id\":\"AQID\"}],"
                                   "\"user_verification\":\"required\"}",
                                   &out, &err),
           err);
  CHECK(out && strstr(out, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
  keyward_string_free(out);

  /* Rejections. */
  CHECK_ERR(keyward_creation_options(
                "{\"rp\":{\"id\":\"a\"},\"user\":{\"id\":\"\",\"name\":\"a\"}}", &out, &err),
            err, 227, "options_invalid");
  CHECK(out == NULL);
  CHECK_ERR(keyward_creation_options("{\"user\":{\"id\":\"AQ\",\"name\":\"a\"}}", &out, &err), err,
            111, "json_missing_field");
  CHECK_ERR(
      keyward_creation_options("{\"rp\":{\"id\":\"a\"},\"user\":{\"id\":\"AQ\",\"name\":\"a\"},"
                               "\"userVerification\":\"required\"}",
                               &out, &err),
      err, 100, "invalid_argument");
  CHECK_ERR(keyward_creation_options("[1]", &out, &err), err, 112, "json_wrong_type");
  CHECK_ERR(keyward_creation_options("{", &out, &err), err, 110, "json_malformed");
  CHECK_ERR(keyward_creation_options(
                "{\"rp\":{\"id\":\"a\"},\"user\":{\"id\":\"A!\",\"name\":\"a\"}}", &out, &err),
            err, 101, "base64_invalid");
  CHECK_ERR(keyward_request_options("{\"rp_id\":\"a\",\"timeout_ms\":-1}", &out, &err), err, 227,
            "options_invalid");
  CHECK_ERR(keyward_request_options("{\"rp_id\":\"a\",\"timeout_ms\":1.5}", &out, &err), err, 112,
            "json_wrong_type");
  CHECK_ERR(keyward_request_options("{\"rp_id\":7}", &out, &err), err, 112, "json_wrong_type");
  CHECK_ERR(
      keyward_request_options("{\"rp_id\":\"a\",\"user_verification\":\"sometimes\"}", &out, &err),
      err, 227, "options_invalid");
}

static void test_trust(void) {
  keyward_error err;
  keyward_trust* trust = NULL;
  CHECK_OK(keyward_trust_new(&trust, &err), err);
  CHECK(keyward_trust_anchor_count(trust) == 0);
  const uint8_t garbage[] = {0x30, 0x03, 0x01, 0x01, 0x00};
  CHECK_ERR(keyward_trust_add_root_der(trust, garbage, sizeof garbage, &err), err, 420,
            "certificate_malformed");
  CHECK_ERR(keyward_trust_add_directory(trust, "/nonexistent/keyward", &err), err, 140,
            "config_invalid");
  CHECK_ERR(keyward_trust_add_file(trust, "/nonexistent/keyward.pem", &err), err, 904, "io_error");
  CHECK_ERR(keyward_trust_load_mds(trust, "/nonexistent/mds.jwt", &err), err, 904, "io_error");
  CHECK(keyward_trust_anchor_count(trust) == 0);

  /* The example registration case's anchor, through a trust object: trusted verdict. */
  char* text =
      capi_read_file(KEYWARD_SOURCE_DIR "/examples/cases/01-packed-es256-registration.json");
  CHECK(text != NULL);
  char* verdict = NULL;
  CHECK_OK(keyward_verify_case(trust, text, &verdict, &err), err);
  CHECK(verdict && strstr(verdict, "\"trusted\""));
  keyward_string_free(verdict);
  free(text);
  keyward_trust_free(trust);
}

static char* expectations(const char* challenge, const char* extra) {
  char* buf = (char*)malloc(4096);
  snprintf(buf, 4096,
           "{\"expected_challenge\":\"%s\",\"expected_origin\":\"" ORIGIN
           "\",\"expected_rp_id\":\"" RP "\"%s}",
           challenge, extra);
  return buf;
}

static void test_registration_and_assertion(void) {
  keyward_error err;
  kwt_authenticator* a = kwt_new();
  char* challenge = NULL;
  CHECK_OK(keyward_new_challenge(&challenge, &err), err);
  char* reg = kwt_register(a, challenge, RP, ORIGIN, 0x45);
  char* exp = expectations(challenge, ",\"require_user_verification\":true");
  char* result = NULL;
  CHECK_OK(keyward_verify_registration(NULL, reg, exp, &result, &err), err);
  CHECK(result && strstr(result, "\"fmt\":\"none\"") && strstr(result, "\"uv\":true"));
  char* cred_id = kwt_credential_id(a);
  char* key = kwt_public_key(a);
  char* got_key = result ? capi_json_string(result, "credential_public_key") : NULL;
  CHECK(got_key && strcmp(got_key, key) == 0);
  char* got_id = result ? capi_json_string(result, "credential_id") : NULL;
  CHECK(got_id && strcmp(got_id, cred_id) == 0);
  free(got_key);
  free(got_id);
  keyward_string_free(result);
  free(exp);

  /* Registration rejections. */
  char* other = NULL;
  CHECK_OK(keyward_new_challenge(&other, &err), err);
  exp = expectations(other, "");
  CHECK_ERR(keyward_verify_registration(NULL, reg, exp, &result, &err), err, 202,
            "challenge_mismatch");
  CHECK(result == NULL);
  free(exp);
  exp = expectations(challenge, ",\"pub_key_cred_params_algs\":[-257]");
  CHECK_ERR(keyward_verify_registration(NULL, reg, exp, &result, &err), err, 220,
            "algorithm_not_allowed");
  free(exp);
  exp = expectations(challenge, ",\"attestation_policy\":\"workforce\"");
  CHECK_ERR(keyward_verify_registration(NULL, reg, exp, &result, &err), err, 100,
            "invalid_argument");
  free(exp);
  exp = expectations(challenge, ",\"attestation_policy\":\"strict\"");
  CHECK_ERR(keyward_verify_registration(NULL, reg, exp, &result, &err), err, 100,
            "invalid_argument");
  free(exp);
  exp =
      expectations(challenge, ",\"aaguid_allow_list\":[\"00000000-0000-0000-0000-000000000000\"]");
  CHECK_ERR(keyward_verify_registration(NULL, reg, exp, &result, &err), err, 100,
            "invalid_argument");
  free(exp);
  exp = expectations(challenge, ",\"verify_at\":\"yesterday\"");
  CHECK_ERR(keyward_verify_registration(NULL, reg, exp, &result, &err), err, 100,
            "invalid_argument");
  free(exp);
  CHECK_ERR(keyward_verify_registration(NULL, "{\"id\":1}", "{}", &result, &err), err, 111,
            "json_missing_field");
  exp = expectations(challenge, "");
  CHECK_ERR(keyward_verify_registration(NULL, "{\"id\":1}", exp, &result, &err), err, 226,
            "response_malformed");
  free(exp);
  free(reg);

  /* Assertions. */
  char* login = NULL;
  CHECK_OK(keyward_new_challenge(&login, &err), err);
  char* resp = kwt_assert(a, login, RP, ORIGIN, 0x05, 7, NULL);
  char extra[1024];
  snprintf(extra, sizeof extra, ",\"credential_public_key\":\"%s\",\"prior_sign_count\":3", key);
  exp = expectations(login, extra);
  CHECK_OK(keyward_verify_authentication(resp, exp, &result, &err), err);
  CHECK(result && strstr(result, "\"sign_count\":7") && strstr(result, "\"verified\":true"));
  keyward_string_free(result);
  /* The struct form: the same outcome, no JSON. */
  keyward_assertion as;
  CHECK_OK(keyward_verify_authentication_struct(resp, exp, &as, &err), err);
  CHECK(as.sign_count == 7 && as.flags == (KEYWARD_FLAG_UP | KEYWARD_FLAG_UV));
  CHECK(as.sign_count_regressed == 0 && as.appid_used == 0 && as.user_handle_len == 0);
  CHECK(as.credential_id_len == 32);
  CHECK_ERR(keyward_verify_authentication_struct(resp, exp, NULL, &err), err, 100,
            "invalid_argument");
  CHECK_ERR(keyward_verify_authentication_struct(NULL, exp, &as, &err), err, 100,
            "invalid_argument");
  CHECK(as.sign_count == 0 && as.credential_id_len == 0); /* cleared on failure */
  free(exp);
  exp = expectations(other, "");
  CHECK_ERR(keyward_verify_authentication_struct(resp, exp, &as, &err), err, 111,
            "json_missing_field");
  free(exp);
  snprintf(extra, sizeof extra,
           ",\"credential_public_key\":\"%s\",\"allow_credentials\":[],"
           "\"user_handle\":\"AQID\"",
           key);
  exp = expectations(login, extra);
  char* with_handle = kwt_assert(a, login, RP, ORIGIN, 0x05, 8, "AQID");
  CHECK_OK(keyward_verify_authentication_struct(with_handle, exp, &as, &err), err);
  CHECK(as.user_handle_len == 3 && as.user_handle[0] == 1 && as.user_handle[2] == 3);
  free(with_handle);
  snprintf(extra, sizeof extra, ",\"credential_public_key\":\"%s\"", key);
  free(exp);
  exp = expectations(other, extra);
  CHECK_ERR(keyward_verify_authentication_struct(resp, exp, &as, &err), err, 202,
            "challenge_mismatch");
  free(exp);

  /* Every rejection with its code. */
  exp = expectations(other, extra);
  CHECK_ERR(keyward_verify_authentication(resp, exp, &result, &err), err, 202,
            "challenge_mismatch");
  CHECK(result == NULL);
  free(exp);
  char buf[4096];
  snprintf(buf, sizeof buf,
           "{\"expected_challenge\":\"%s\",\"expected_origin\":\"https://evil.example\","
           "\"expected_rp_id\":\"" RP "\",\"credential_public_key\":\"%s\"}",
           login, key);
  CHECK_ERR(keyward_verify_authentication(resp, buf, &result, &err), err, 203, "origin_mismatch");
  snprintf(buf, sizeof buf,
           "{\"expected_challenge\":\"%s\",\"expected_origin\":[\"https://a.example\",\"" ORIGIN
           "\"],\"expected_rp_id\":\"other.example\",\"credential_public_key\":\"%s\"}",
           login, key);
  CHECK_ERR(keyward_verify_authentication(resp, buf, &result, &err), err, 211,
            "rp_id_hash_mismatch");
  snprintf(extra, sizeof extra, ",\"credential_public_key\":\"%s\",\"prior_sign_count\":9", key);
  exp = expectations(login, extra);
  CHECK_ERR(keyward_verify_authentication(resp, exp, &result, &err), err, 221,
            "sign_count_regression");
  free(exp);
  snprintf(
      extra, sizeof extra,
      ",\"credential_public_key\":\"%s\",\"prior_sign_count\":9,\"sign_count_policy\":\"flag\"",
      key);
  exp = expectations(login, extra);
  CHECK_OK(keyward_verify_authentication(resp, exp, &result, &err), err);
  CHECK(result && strstr(result, "\"sign_count_regressed\":true"));
  keyward_string_free(result);
  free(exp);
  snprintf(extra, sizeof extra,
           ",\"credential_public_key\":\"%s\",\"allow_credentials\":[\"AAAA\"]", key);
  exp = expectations(login, extra);
  CHECK_ERR(keyward_verify_authentication(resp, exp, &result, &err), err, 222,
            "credential_not_allowed");
  free(exp);
  kwt_authenticator* b = kwt_new();
  char* other_key = kwt_public_key(b);
  snprintf(extra, sizeof extra, ",\"credential_public_key\":\"%s\"", other_key);
  exp = expectations(login, extra);
  CHECK_ERR(keyward_verify_authentication(resp, exp, &result, &err), err, 228,
            "assertion_signature_invalid");
  free(exp);
  free(other_key);
  kwt_free(b);
  snprintf(extra, sizeof extra,
           ",\"credential_public_key\":\"%s\",\"require_user_verification\":true", key);
  char* no_uv = kwt_assert(a, login, RP, ORIGIN, 0x01, 8, NULL);
  exp = expectations(login, extra);
  CHECK_ERR(keyward_verify_authentication(no_uv, exp, &result, &err), err, 213,
            "user_not_verified");
  free(exp);
  free(no_uv);
  /* Discoverable request: the owner's user handle is required. */
  snprintf(extra, sizeof extra,
           ",\"credential_public_key\":\"%s\",\"allow_credentials\":[],\"user_handle\":\"AQID\"",
           key);
  exp = expectations(login, extra);
  CHECK_ERR(keyward_verify_authentication(resp, exp, &result, &err), err, 234,
            "user_handle_missing");
  free(exp);

  /* Malformed responses and expectations. */
  snprintf(extra, sizeof extra, ",\"credential_public_key\":\"%s\"", key);
  exp = expectations(login, extra);
  CHECK_ERR(keyward_verify_authentication("not json", exp, &result, &err), err, 110,
            "json_malformed");
  CHECK_ERR(keyward_verify_authentication("{}", exp, &result, &err), err, 226,
            "response_malformed");
  free(exp);
  CHECK_ERR(keyward_verify_authentication(resp, "{\"expected_rp_id\":\"a\"}", &result, &err), err,
            111, "json_missing_field");
  exp = expectations(login, ",\"credential_public_key\":7");
  CHECK_ERR(keyward_verify_authentication(resp, exp, &result, &err), err, 112, "json_wrong_type");
  free(exp);
  exp = expectations(login, ",\"credential_public_key\":\"***\"");
  CHECK_ERR(keyward_verify_authentication(resp, exp, &result, &err), err, 101, "base64_invalid");
  free(exp);
  exp = expectations(login, ",\"credential_public_key\":\"AQID\"");
  CHECK_ERR(keyward_verify_authentication(resp, exp, &result, &err), err, 402, "key_malformed");
  free(exp);
  snprintf(extra, sizeof extra, ",\"credential_public_key\":\"%s\",\"challenge\":\"x\"", key);
  exp = expectations(login, extra);
  CHECK_ERR(keyward_verify_authentication(resp, exp, &result, &err), err, 100, "invalid_argument");
  free(exp);
  snprintf(extra, sizeof extra, ",\"credential_public_key\":\"%s\",\"prior_sign_count\":-1", key);
  exp = expectations(login, extra);
  CHECK_ERR(keyward_verify_authentication(resp, exp, &result, &err), err, 100, "invalid_argument");
  free(exp);
  snprintf(extra, sizeof extra, ",\"credential_public_key\":\"%s\",\"sign_count_policy\":\"x\"",
           key);
  exp = expectations(login, extra);
  CHECK_ERR(keyward_verify_authentication(resp, exp, &result, &err), err, 100, "invalid_argument");
  free(exp);

  free(resp);
  free(key);
  free(cred_id);
  keyward_string_free(login);
  keyward_string_free(other);
  keyward_string_free(challenge);
  kwt_free(a);
}

int main(void) {
  test_cases();
  test_options();
  test_trust();
  test_registration_and_assertion();
  return CAPI_TEST_RESULT();
}
