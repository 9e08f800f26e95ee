/* A tiny assertion harness for the C ABI tests (C11). Each failed check prints its location and
 * is counted; a test program returns CAPI_TEST_RESULT() from main (non-zero when any failed, or
 * when no check ran at all). */
#ifndef KEYWARD_TESTS_UNIT_CAPI_CAPI_TEST_H_
#define KEYWARD_TESTS_UNIT_CAPI_CAPI_TEST_H_

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyward/keyward.h"

static int capi_checks = 0;
static int capi_failures = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    ++capi_checks;                                                             \
    if (!(cond)) {                                                             \
      ++capi_failures;                                                         \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                          \
  } while (0)

/* rc must be `want_code`, and err must say the same number and the stable `want_name`. */
#define CHECK_ERR(rc, err, want_code, want_name)                                                   \
  do {                                                                                             \
    int capi_rc_ = (rc);                                                                           \
    ++capi_checks;                                                                                 \
    if (capi_rc_ != (want_code) || (err).code != (want_code) || (err).name == NULL ||              \
        strcmp((err).name, (want_name)) != 0 ||                                                    \
        strcmp(keyward_error_name(want_code), (want_name)) != 0) {                                 \
      ++capi_failures;                                                                             \
      fprintf(stderr, "%s:%d: expected %d %s, got rc=%d err.code=%d err.name=%s (%s)\n", __FILE__, \
              __LINE__, (int)(want_code), (want_name), capi_rc_, (err).code,                       \
              (err).name ? (err).name : "(null)", (err).detail);                                   \
    }                                                                                              \
  } while (0)

#define CHECK_OK(rc, err) CHECK_ERR(rc, err, KEYWARD_OK, "ok")

#define CAPI_TEST_RESULT()                                                \
  (fprintf(stderr, "%d checks, %d failed\n", capi_checks, capi_failures), \
   (capi_failures == 0 && capi_checks > 0) ? 0 : 1)

/* Reads a whole file (NUL-terminated, malloc'd) or returns NULL. */
static inline char* capi_read_file(const char* path) {
  FILE* f = fopen(path, "rb");
  if (f == NULL) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char* buf = (char*)malloc((size_t)n + 1);
  if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  if (buf != NULL) buf[n] = '\0';
  fclose(f);
  return buf;
}

/* The value of a top-level-looking string member "key": "value" in JSON text (test helper for
 * keyward's own one-line outputs; no escapes expected). Returns a malloc'd copy or NULL. */
static inline char* capi_json_string(const char* json, const char* key) {
  char pattern[128];
  snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
  const char* p = strstr(json, pattern);
  if (p == NULL) {
    snprintf(pattern, sizeof pattern, "\"%s\": \"", key);
    p = strstr(json, pattern);
  }
  if (p == NULL) return NULL;
  p += strlen(pattern);
  const char* end = strchr(p, '"');
  if (end == NULL) return NULL;
  char* out = (char*)malloc((size_t)(end - p) + 1);
  memcpy(out, p, (size_t)(end - p));
  out[end - p] = '\0';
  return out;
}

/* Decodes base64url (no padding) into a malloc'd buffer; *len receives its size. */
static inline unsigned char* capi_b64url_decode(const char* s, size_t* len) {
  size_t n = strlen(s);
  unsigned char* out = (unsigned char*)malloc(n * 3 / 4 + 3);
  unsigned bits = 0, acc = 0;
  *len = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[i];
    int v = c >= 'A' && c <= 'Z'   ? c - 'A'
            : c >= 'a' && c <= 'z' ? c - 'a' + 26
            : c >= '0' && c <= '9' ? c - '0' + 52
            : c == '-'             ? 62
            : c == '_'             ? 63
                                   : -1;
    if (v < 0) {
      free(out);
      return NULL;
    }
    acc = (acc << 6) | (unsigned)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[(*len)++] = (unsigned char)(acc >> bits);
    }
  }
  return out;
}

#endif
