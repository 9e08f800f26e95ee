/* keyward through its C ABI, from outside the source tree: verifies `keyward verify` case files
 * and checks each verdict against the case's "expect" member. Build against an installed keyward:
 *   cc -std=c11 verify_cases.c $(pkg-config --cflags --libs keyward-c) -o verify_cases
 *   ./verify_cases examples/cases/01-packed-es256-registration.json ...
 * Exit 0 when every case gave its expected verdict. */
#include <keyward/keyward.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char* slurp(const char* path) {
  FILE* f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  rewind(f);
  char* s = malloc((size_t)n + 1);
  if (s && fread(s, 1, (size_t)n, f) == (size_t)n) {
    s[n] = '\0';
  } else {
    free(s);
    s = NULL;
  }
  fclose(f);
  return s;
}

int main(int argc, char** argv) {
  int mismatches = 0;
  printf("libkeyward-c %s\n", keyward_version());
  for (int i = 1; i < argc; ++i) {
    char* text = slurp(argv[i]);
    if (!text) {
      fprintf(stderr, "%s: cannot read\n", argv[i]);
      return 2;
    }
    int expect_ok = strstr(text, "\"expect\": \"ok\"") != NULL;
    keyward_error err;
    char* verdict = NULL;
    int rc = keyward_verify_case(NULL, text, &verdict, &err);
    printf("%s: %s (%d)\n", argv[i], rc == 0 ? "verified" : err.name, rc);
    if ((rc == 0) != expect_ok) ++mismatches;
    keyward_string_free(verdict);
    free(text);
  }
  return argc > 1 && mismatches == 0 ? 0 : 1;
}
