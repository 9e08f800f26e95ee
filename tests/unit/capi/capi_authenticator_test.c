/* The C ABI's authenticator facade on a real SQLite store: principals, registration, login with
 * sessions as JSON, step-up, administration, privacy and audit, each refusal asserting its number
 * and name. */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <unistd.h>

#include "capi_test.h"
#include "test_authenticator_shim.h"

#define RP "example.com"
#define ORIGIN "https://example.com"

static char db_dir[256];

static char* config(const char* name, const char* extra) {
  char* buf = (char*)malloc(2048);
  snprintf(buf, 2048,
           "{\"db_path\":\"%s/%s\",\"rp_id\":\"" RP
           "\",\"rp_name\":\"Example\","
           "\"origins\":[\"" ORIGIN "\"]%s}",
           db_dir, name, extra);
  return buf;
}

static int64_t fake_now = 1800000000;
static int64_t fake_clock(void* ctx) {
  (void)ctx;
  return fake_now;
}

static void test_open(void) {
  keyward_error err;
  keyward_authenticator* auth = NULL;
  CHECK_ERR(keyward_authenticator_open("{}", NULL, &auth, &err), err, 111, "json_missing_field");
  CHECK(auth == NULL);
  char* c = config("a.db", ",\"policy\":\"ciam\",\"unknown\":1");
  CHECK_ERR(keyward_authenticator_open(c, NULL, &auth, &err), err, 100, "invalid_argument");
  free(c);
  c = config("a.db", ",\"policy\":{\"extends\":\"ciam\",\"challenge_ttl_seconds\":\"x\"}");
  CHECK_ERR(keyward_authenticator_open(c, NULL, &auth, &err), err, 140, "config_invalid");
  free(c);
  c = config("a.db", ",\"policy\":7");
  CHECK_ERR(keyward_authenticator_open(c, NULL, &auth, &err), err, 112, "json_wrong_type");
  free(c);
  c = config("a.db", ",\"smart_card_anchors_der\":[\"AQID\"]");
  CHECK_ERR(keyward_authenticator_open(c, NULL, &auth, &err), err, 420, "certificate_malformed");
  free(c);
  CHECK_ERR(keyward_authenticator_open(
                "{\"db_path\":\"/nonexistent/dir/x.db\",\"rp_id\":\"a\",\"origins\":[]}", NULL,
                &auth, &err),
            err, 800, "store_io");
  CHECK(auth == NULL);
}

/* Registers a credential of `a` for principal `pid` and returns the stored credential JSON. */
static char* register_credential(keyward_authenticator* auth, const char* pid,
                                 const kwt_authenticator* a, unsigned flags) {
  keyward_error err;
  char* start = NULL;
  CHECK_OK(keyward_begin_registration(auth, pid, "passkey", &start, &err), err);
  CHECK(start && strstr(start, "\"options\":{"));
  char* ceremony = start ? capi_json_string(start, "ceremony_id") : NULL;
  char* challenge = start ? capi_json_string(start, "challenge") : NULL;
  CHECK(ceremony && challenge);
  char* resp = kwt_register(a, challenge, RP, ORIGIN, flags);
  char* cred = NULL;
  CHECK_OK(keyward_finish_registration(auth, ceremony, resp, "my key", &cred, &err), err);
  /* The ceremony is single-use. */
  char* again = NULL;
  CHECK_ERR(keyward_finish_registration(auth, ceremony, resp, NULL, &again, &err), err, 232,
            "challenge_replayed");
  CHECK(again == NULL);
  free(resp);
  free(ceremony);
  free(challenge);
  keyward_string_free(start);
  return cred;
}

typedef struct {
  char* ceremony;
  char* challenge;
} ceremony;

static ceremony begin_login(keyward_authenticator* auth, const char* request) {
  keyward_error err;
  char* start = NULL;
  CHECK_OK(keyward_begin_login(auth, request, &start, &err), err);
  ceremony c = {NULL, NULL};
  if (start) {
    c.ceremony = capi_json_string(start, "ceremony_id");
    c.challenge = capi_json_string(start, "challenge");
  }
  CHECK(c.ceremony && c.challenge);
  keyward_string_free(start);
  return c;
}

static void end_ceremony(ceremony* c) {
  free(c->ceremony);
  free(c->challenge);
}

static void test_facade(void) {
  keyward_error err;
  keyward_authenticator* auth = NULL;
  char* c = config("facade.db", "");
  CHECK_OK(keyward_authenticator_open(c, NULL, &auth, &err), err);
  free(c);
  if (auth == NULL) return;

  /* Principals. */
  char* p = NULL;
  CHECK_OK(keyward_create_principal(auth, "alice", "Alice Example", &p, &err), err);
  char* pid = p ? capi_json_string(p, "id") : NULL;
  char* user_handle = p ? capi_json_string(p, "user_handle") : NULL;
  CHECK(pid && strncmp(pid, "p_", 2) == 0 && user_handle);
  keyward_string_free(p);
  CHECK_ERR(keyward_create_principal(auth, "", "x", &p, &err), err, 100, "invalid_argument");
  CHECK_OK(keyward_get_principal(auth, pid, &p, &err), err);
  CHECK(p && strstr(p, "Alice Example"));
  keyward_string_free(p);
  CHECK_OK(keyward_find_principal_by_name(auth, "alice", &p, &err), err);
  keyward_string_free(p);
  CHECK_ERR(keyward_get_principal(auth, "p_missing", &p, &err), err, 804, "not_found");
  CHECK(p == NULL);
  CHECK_ERR(keyward_find_principal_by_name(auth, "bob", &p, &err), err, 804, "not_found");
  CHECK_OK(keyward_list_principals(auth, &p, &err), err);
  CHECK(p && p[0] == '[' && strstr(p, "alice"));
  keyward_string_free(p);
  CHECK_OK(keyward_set_display_name(auth, pid, "Alice E.", &err), err);
  CHECK_ERR(keyward_set_display_name(auth, "p_missing", "x", &err), err, 804, "not_found");
  char long_name[400];
  memset(long_name, 'x', sizeof long_name - 1);
  long_name[sizeof long_name - 1] = '\0';
  CHECK_ERR(keyward_set_display_name(auth, pid, long_name, &err), err, 100, "invalid_argument");

  /* Registration. */
  char* start = NULL;
  CHECK_ERR(keyward_begin_registration(auth, pid, "smart_card", &start, &err), err, 100,
            "invalid_argument");
  CHECK_ERR(keyward_begin_registration(auth, pid, "password", &start, &err), err, 100,
            "invalid_argument");
  CHECK_ERR(keyward_begin_registration(auth, "p_missing", "passkey", &start, &err), err, 804,
            "not_found");
  CHECK(start == NULL);
  char* cred = NULL;
  CHECK_ERR(keyward_finish_registration(auth, "AAAA", "{}", NULL, &cred, &err), err, 233,
            "challenge_unknown");
  /* A response for another origin is refused (and spends the ceremony). */
  CHECK_OK(keyward_begin_registration(auth, pid, "security_key", &start, &err), err);
  char* ch = start ? capi_json_string(start, "challenge") : NULL;
  char* cid = start ? capi_json_string(start, "ceremony_id") : NULL;
  kwt_authenticator* evil = kwt_new();
  char* resp = kwt_register(evil, ch, RP, "https://evil.example", 0x45);
  CHECK_ERR(keyward_finish_registration(auth, cid, resp, NULL, &cred, &err), err, 203,
            "origin_mismatch");
  free(resp);
  free(ch);
  free(cid);
  keyward_string_free(start);

  kwt_authenticator* key = kwt_new();
  cred = register_credential(auth, pid, key, 0x45);
  char* cred_id = kwt_credential_id(key);
  CHECK(cred && strstr(cred, cred_id) && strstr(cred, "\"nickname\":\"my key\""));
  keyward_string_free(cred);
  char* list = NULL;
  CHECK_OK(keyward_list_credentials(auth, pid, &list, &err), err);
  CHECK(list && strstr(list, cred_id));
  keyward_string_free(list);
  CHECK_ERR(keyward_list_credentials(auth, "p_missing", &list, &err), err, 804, "not_found");

  /* Login with UV: AAL2; the session comes back as JSON. */
  char request[256];
  snprintf(request, sizeof request, "{\"principal_id\":\"%s\"}", pid);
  ceremony l = begin_login(auth, request);
  resp = kwt_assert(key, l.challenge, RP, ORIGIN, 0x05, 1, NULL);
  char* result = NULL;
  char* session = NULL;
  CHECK_OK(keyward_finish_login(auth, l.ceremony, resp, "{\"ip\":\"192.0.2.1\"}", NULL, &result,
                                &session, &err),
           err);
  CHECK(result && strstr(result, "\"aal\":\"aal2\"") && strstr(result, "\"sign_count\":1"));
  CHECK(session && strstr(session, pid) && strstr(session, "\"aal\":\"aal2\""));
  keyward_string_free(result);
  /* Replaying the same response: challenge_replayed; the session still comes back. */
  char* session2 = NULL;
  CHECK_ERR(keyward_finish_login(auth, l.ceremony, resp, NULL, session, &result, &session2, &err),
            err, 232, "challenge_replayed");
  CHECK(result == NULL && session2 != NULL);
  keyward_string_free(session2);
  free(resp);
  end_ceremony(&l);

  /* Authorize against the session. */
  session2 = NULL;
  CHECK_OK(keyward_authorize(auth, session, "payment", &session2, &err), err);
  keyward_string_free(session2);
  CHECK_ERR(keyward_authorize(auth, NULL, "payment", &session2, &err), err, 820, "policy_denied");
  keyward_string_free(session2);
  CHECK_ERR(keyward_authorize(auth, "{\"aal\":\"aal9\"}", "payment", &session2, &err), err, 100,
            "invalid_argument");
  CHECK(session2 == NULL);
  CHECK_ERR(keyward_authorize(auth, "{\"aal\":", "payment", &session2, &err), err, 110,
            "json_malformed");
  CHECK_ERR(keyward_authorize(auth, "{\"level\":1}", "payment", &session2, &err), err, 100,
            "invalid_argument");

  /* A login without UV is AAL1: "payment" needs a step-up to AAL2. */
  l = begin_login(auth, request);
  resp = kwt_assert(key, l.challenge, RP, ORIGIN, 0x01, 2, NULL);
  char* weak = NULL;
  CHECK_OK(keyward_finish_login(auth, l.ceremony, resp, NULL, NULL, &result, &weak, &err), err);
  CHECK(result && strstr(result, "\"aal\":\"aal1\""));
  keyward_string_free(result);
  free(resp);
  end_ceremony(&l);
  session2 = NULL;
  CHECK_ERR(keyward_authorize(auth, weak, "payment", &session2, &err), err, 821,
            "step_up_required");
  CHECK(err.native == 2);
  CHECK(session2 && strstr(session2, "\"pending_step_up\":{") &&
        strstr(session2, "\"required_aal\":\"aal2\""));
  /* The pending step-up round-trips through the session JSON. */
  char* session3 = NULL;
  CHECK_OK(keyward_authorize(auth, session2, "login", &session3, &err), err);
  keyward_string_free(session3);
  keyward_string_free(session2);
  keyward_string_free(weak);
  /* A step-up to AAL3 cannot be satisfied by this credential. */
  char up[256];
  snprintf(up, sizeof up, "{\"principal_id\":\"%s\",\"step_up_to\":\"aal3\"}", pid);
  CHECK_ERR(keyward_begin_login(auth, up, &start, &err), err, 820, "policy_denied");
  CHECK_ERR(keyward_begin_login(auth, "{\"step_up_to\":\"aal7\"}", &start, &err), err, 100,
            "invalid_argument");
  CHECK_ERR(keyward_begin_login(auth, "{\"kinds\":[\"smart_card\"]}", &start, &err), err, 820,
            "policy_denied");

  /* Rejected logins. */
  l = begin_login(auth, request);
  resp = kwt_assert(key, l.challenge, RP, ORIGIN, 0x05, 1, NULL); /* counter went back */
  CHECK_ERR(keyward_finish_login(auth, l.ceremony, resp, NULL, NULL, &result, &session2, &err), err,
            820, "policy_denied"); /* ciam: clone_suspected → deny */
  keyward_string_free(session2);
  free(resp);
  end_ceremony(&l);
  l = begin_login(auth, request);
  resp = kwt_assert(key, l.challenge, RP, ORIGIN, 0x05, 10, NULL);
  CHECK_ERR(keyward_finish_login(auth, l.ceremony, resp, "{\"time\":4102444800}", NULL, &result,
                                 &session2, &err),
            err, 231, "challenge_expired");
  keyward_string_free(session2);
  CHECK_ERR(keyward_finish_login(auth, l.ceremony, resp, "{\"time\":\"now\"}", NULL, &result,
                                 &session2, &err),
            err, 112, "json_wrong_type");
  CHECK(session2 == NULL);
  free(resp);
  end_ceremony(&l);
  l = begin_login(auth, NULL); /* discoverable */
  resp = kwt_assert(evil, l.challenge, RP, ORIGIN, 0x05, 1, NULL);
  CHECK_ERR(keyward_finish_login(auth, l.ceremony, resp, NULL, NULL, &result, &session2, &err), err,
            804, "not_found");
  keyward_string_free(session2);
  free(resp);
  resp = kwt_assert(key, l.challenge, RP, ORIGIN, 0x05, 11, NULL); /* no user handle */
  CHECK_ERR(keyward_finish_login(auth, l.ceremony, resp, NULL, NULL, &result, &session2, &err), err,
            232, "challenge_replayed");
  keyward_string_free(session2);
  free(resp);
  end_ceremony(&l);
  l = begin_login(auth, NULL);
  resp = kwt_assert(key, l.challenge, RP, ORIGIN, 0x05, 12, NULL);
  CHECK_ERR(keyward_finish_login(auth, l.ceremony, resp, NULL, NULL, &result, &session2, &err), err,
            234, "user_handle_missing");
  keyward_string_free(session2);
  free(resp);
  end_ceremony(&l);
  l = begin_login(auth, NULL);
  resp = kwt_assert(key, l.challenge, RP, ORIGIN, 0x05, 13, user_handle);
  CHECK_OK(keyward_finish_login(auth, l.ceremony, resp, NULL, NULL, &result, &session2, &err), err);
  keyward_string_free(result);
  keyward_string_free(session2);
  free(resp);
  end_ceremony(&l);

  /* Smart cards: not allowed by the ciam policy; malformed evidence. */
  CHECK_ERR(keyward_enroll_certificate(auth, pid, "{\"certificate_der\":\"AQID\"}", &cred, &err),
            err, 820, "policy_denied");
  CHECK_ERR(keyward_enroll_certificate(auth, pid, "{\"cert\":\"AQID\"}", &cred, &err), err, 100,
            "invalid_argument");
  CHECK_ERR(keyward_finish_certificate_login(auth, "AAAA", "{\"signature\":\"AQ\"}", NULL, NULL,
                                             &result, &session2, &err),
            err, 111, "json_missing_field");
  CHECK(session2 == NULL); /* a refused argument: the facade did not run, no session back */
  CHECK_ERR(keyward_finish_verified_card_login(auth, "AAAA", "{\"assurance_level\":\"aal3\"}", NULL,
                                               NULL, &result, &session2, &err),
            err, 111, "json_missing_field");
  CHECK(session2 == NULL);
  CHECK_ERR(keyward_finish_verified_card_login(auth, "AAAA",
                                               "{\"certificate_fingerprint_sha256\":\"zz\"}", NULL,
                                               NULL, &result, &session2, &err),
            err, 233, "challenge_unknown");
  CHECK(session2 != NULL); /* the facade ran: the session comes back */
  keyward_string_free(session2);

  /* Administration. */
  CHECK_OK(keyward_rename_credential(auth, cred_id, "office key", &err), err);
  CHECK_OK(keyward_list_credentials(auth, pid, &list, &err), err);
  CHECK(list && strstr(list, "office key"));
  keyward_string_free(list);
  CHECK_ERR(keyward_rename_credential(auth, "AAAA", "x", &err), err, 804, "not_found");
  CHECK_ERR(keyward_rename_credential(auth, "A*", "x", &err), err, 101, "base64_invalid");
  CHECK_OK(keyward_record_admin_action(auth, "card.pin.change", "guid:1234", "ok",
                                       "{\"reader\":\"r\"}", &err),
           err);
  CHECK_ERR(keyward_record_admin_action(auth, "card.pin.change", "guid:1234", "ok",
                                        "{\"pin\":\"123456\"}", &err),
            err, 100, "invalid_argument");

  /* Audit. */
  char* tail = NULL;
  CHECK_OK(keyward_audit_tail(auth, 0, &tail, &err), err);
  CHECK(tail && strstr(tail, "\"hash\"") && strchr(tail, '\n'));
  char* verified = NULL;
  CHECK_OK(keyward_audit_verify(auth, &verified, &err), err);
  CHECK(verified && strstr(verified, "\"records\":") && strstr(verified, "\"head_hash\":\""));
  keyward_string_free(verified);
  CHECK_OK(keyward_audit_verify_lines(tail, &verified, &err), err);
  keyward_string_free(verified);
  if (tail) {
    char* o = strstr(tail, "\"outcome\":\"success\"");
    CHECK(o != NULL);
    if (o) memcpy(o + 11, "SUCCESS", 7); /* tamper with one record */
    CHECK_ERR(keyward_audit_verify_lines(tail, &verified, &err), err, 830, "audit_chain_broken");
    CHECK(err.native >= 1);
  }
  keyward_string_free(tail);
  CHECK_OK(keyward_audit_tail(auth, 2, &tail, &err), err);
  CHECK(tail && strchr(tail, '\n') && strchr(strchr(tail, '\n') + 1, '\n') &&
        strchr(strchr(tail, '\n') + 1, '\n')[1] == '\0');
  keyward_string_free(tail);

  /* Privacy. */
  char* doc = NULL;
  CHECK_OK(keyward_export_principal(auth, pid, &doc, &err), err);
  CHECK(doc && strstr(doc, "alice") && strstr(doc, cred_id));
  keyward_string_free(doc);
  CHECK_OK(keyward_remove_credential(auth, cred_id, &err), err);
  CHECK_ERR(keyward_remove_credential(auth, cred_id, &err), err, 804, "not_found");
  CHECK_OK(keyward_erase_principal(auth, pid, &err), err);
  CHECK_ERR(keyward_export_principal(auth, pid, &doc, &err), err, 804, "not_found");
  CHECK_ERR(keyward_erase_principal(auth, pid, &err), err, 804, "not_found");
  CHECK_OK(keyward_audit_verify(auth, &verified, &err), err);
  keyward_string_free(verified);

  keyward_string_free(session);
  free(cred_id);
  free(pid);
  free(user_handle);
  kwt_free(key);
  kwt_free(evil);
  keyward_authenticator_close(auth);
}

static void test_clock(void) {
  keyward_error err;
  keyward_authenticator* auth = NULL;
  char* c = config("clock.db", ",\"store_relaxed_durability\":true");
  CHECK_OK(keyward_authenticator_open_with_clock(c, NULL, fake_clock, NULL, &auth, &err), err);
  free(c);
  if (auth == NULL) return;
  char* p = NULL;
  CHECK_OK(keyward_create_principal(auth, "carol", NULL, &p, &err), err);
  CHECK(p && strstr(p, "\"created_at\":1800000000"));
  char* pid = p ? capi_json_string(p, "id") : NULL;
  keyward_string_free(p);
  char* start = NULL;
  CHECK_OK(keyward_begin_registration(auth, pid, "passkey", &start, &err), err);
  CHECK(start && strstr(start, "\"expires_at\":1800000300"));
  char* ch = start ? capi_json_string(start, "challenge") : NULL;
  char* cid = start ? capi_json_string(start, "ceremony_id") : NULL;
  kwt_authenticator* key = kwt_new();
  char* resp = kwt_register(key, ch, RP, ORIGIN, 0x45);
  fake_now += 301;
  char* cred = NULL;
  CHECK_ERR(keyward_finish_registration(auth, cid, resp, NULL, &cred, &err), err, 231,
            "challenge_expired");
  free(resp);
  free(ch);
  free(cid);
  free(pid);
  keyward_string_free(start);
  kwt_free(key);
  keyward_authenticator_close(auth);

  /* A trust object handed to open may be freed right after. */
  keyward_trust* trust = NULL;
  CHECK_OK(keyward_trust_new(&trust, &err), err);
  c = config("trust.db", "");
  CHECK_OK(keyward_authenticator_open(c, trust, &auth, &err), err);
  keyward_trust_free(trust);
  CHECK_OK(keyward_create_principal(auth, "dave", "Dave", &p, &err), err);
  keyward_string_free(p);
  free(c);
  keyward_authenticator_close(auth);
}

int main(void) {
  snprintf(db_dir, sizeof db_dir, "/tmp/keyward-capi-test-XXXXXX");
  if (mkdtemp(db_dir) == NULL) return 2;
  test_open();
  test_facade();
  test_clock();
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", db_dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", db_dir);
  return CAPI_TEST_RESULT();
}
