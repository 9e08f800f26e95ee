/* The thread-safety keyward.h documents: a configured keyward_trust shared read-only by threads
 * verifying at once; one keyward_authenticator handle used by several threads (calls serialize
 * on its connection, the audit chain stays whole); errors per call, never shared. */
#define _DEFAULT_SOURCE
#include <pthread.h>
#include <unistd.h>

#include "capi_test.h"

#define THREADS 4
#define ROUNDS 25

static keyward_trust* shared_trust;
static keyward_authenticator* shared_auth;
static char* case_text;
static int thread_failures[THREADS];

static void* verify_worker(void* arg) {
  int id = (int)(intptr_t)arg;
  for (int i = 0; i < ROUNDS; ++i) {
    keyward_error err;
    char* verdict = NULL;
    int rc = keyward_verify_case(shared_trust, case_text, &verdict, &err);
    if (rc != 0 || err.code != 0 || verdict == NULL || !strstr(verdict, "\"trusted\"")) {
      ++thread_failures[id];
    }
    keyward_string_free(verdict);
    /* A failing call in between: its error lands in this thread's struct only. */
    rc = keyward_verify_case(shared_trust, "{", &verdict, &err);
    if (rc != KEYWARD_kJsonMalformed || strcmp(err.name, "json_malformed") != 0) {
      ++thread_failures[id];
    }
    keyward_string_free(verdict);
  }
  return NULL;
}

static void* facade_worker(void* arg) {
  int id = (int)(intptr_t)arg;
  for (int i = 0; i < ROUNDS; ++i) {
    char name[64];
    snprintf(name, sizeof name, "user-%d-%d", id, i);
    keyward_error err;
    char* p = NULL;
    if (keyward_create_principal(shared_auth, name, "User", &p, &err) != 0) ++thread_failures[id];
    char* pid = p ? capi_json_string(p, "id") : NULL;
    char* start = NULL;
    if (pid == NULL || keyward_begin_registration(shared_auth, pid, "passkey", &start, &err) != 0) {
      ++thread_failures[id];
    }
    free(pid);
    keyward_string_free(start);
    keyward_string_free(p);
  }
  return NULL;
}

static void run(void* (*fn)(void*)) {
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; ++i) {
    thread_failures[i] = 0;
    CHECK(pthread_create(&t[i], NULL, fn, (void*)(intptr_t)i) == 0);
  }
  for (int i = 0; i < THREADS; ++i) {
    pthread_join(t[i], NULL);
    CHECK(thread_failures[i] == 0);
  }
}

int main(void) {
  keyward_error err;
  case_text =
      capi_read_file(KEYWARD_SOURCE_DIR "/examples/cases/01-packed-es256-registration.json");
  CHECK(case_text != NULL);
  CHECK_OK(keyward_trust_new(&shared_trust, &err), err);
  /* The case's attestation root, configured once in the shared trust object; the case itself
   * no longer carries it, so "trusted" can only come from the shared trust. */
  char* anchor = case_text ? capi_json_string(case_text, "attestation_trust_anchor_der") : NULL;
  size_t der_len = 0;
  unsigned char* der = anchor ? capi_b64url_decode(anchor, &der_len) : NULL;
  CHECK(der != NULL);
  if (der != NULL) CHECK_OK(keyward_trust_add_root_der(shared_trust, der, der_len, &err), err);
  CHECK(keyward_trust_anchor_count(shared_trust) == 1);
  char* key = case_text ? strstr(case_text, "\"attestation_trust_anchor_der\"") : NULL;
  if (key != NULL) memcpy(key + 1, "X", 1); /* the member is now unknown to the case: ignored */
  free(der);
  free(anchor);
  run(verify_worker);
  keyward_trust_free(shared_trust);

  char dir[] = "/tmp/keyward-capi-threads-XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  char config[512];
  snprintf(
      config, sizeof config,
      "{\"db_path\":\"%s/t.db\",\"rp_id\":\"example.com\",\"origins\":[\"https://example.com\"]}",
      dir);
  CHECK_OK(keyward_authenticator_open(config, NULL, &shared_auth, &err), err);
  if (shared_auth != NULL) {
    run(facade_worker);
    char* list = NULL;
    CHECK_OK(keyward_list_principals(shared_auth, &list, &err), err);
    int count = 0;
    for (const char* p = list; p && (p = strstr(p, "\"user-")) != NULL; ++p) ++count;
    CHECK(count == THREADS * ROUNDS);
    keyward_string_free(list);
    char* verified = NULL;
    CHECK_OK(keyward_audit_verify(shared_auth, &verified, &err), err);
    keyward_string_free(verified);
    keyward_authenticator_close(shared_auth);
  }
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  free(case_text);
  return CAPI_TEST_RESULT();
}
