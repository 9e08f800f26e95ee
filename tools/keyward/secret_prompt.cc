#include "tools/keyward/secret_prompt.h"

#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace keyward::cli {

long ReadSecretLine(int fd, char* buf, size_t cap) {  // NOLINT(runtime/int)
  size_t n = 0;
  while (n < cap) {
    char c;
    ssize_t r = read(fd, &c, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0 || c == '\n') break;
    buf[n++] = c;
  }
  if (n == cap) return -1;
  if (n > 0 && buf[n - 1] == '\r') --n;
  return static_cast<long>(n);  // NOLINT(runtime/int)
}

long ReadSecret(int fd, const char* prompt, char* buf, size_t cap) {  // NOLINT(runtime/int)
  if (fd >= 0) return ReadSecretLine(fd, buf, cap);
  if (!isatty(STDIN_FILENO)) return -2;
  termios old{};
  if (tcgetattr(STDIN_FILENO, &old) != 0) return -2;
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  // Echo off (type-ahead discarded) before the prompt shows: nothing typed after it is echoed.
  if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0) return -2;
  std::fputs(prompt, stderr);
  std::fflush(stderr);
  long n = ReadSecretLine(STDIN_FILENO, buf, cap);  // NOLINT(runtime/int)
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
  std::fputs("\n", stderr);
  return n;
}

}  // namespace keyward::cli
