// Secret input for `keyward card enroll` and `keyward card import-cert`: PINs and keys never come
// from argv. A secrets file (enroll/card_secrets.h format) is read from a file descriptor
// (--secrets-fd N) or a file (--secrets-file PATH, should be mode 0600); --prompt asks on the
// terminal without echo (the same termios approach `keyward card login` uses for its PIN).
#ifndef KEYWARD_TOOLS_KEYWARD_CMD_CARD_ENROLL_INPUT_H_
#define KEYWARD_TOOLS_KEYWARD_CMD_CARD_ENROLL_INPUT_H_

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "core/x509.h"
#include "enroll/card_secrets.h"
#include "tools/keyward/secret_prompt.h"

namespace keyward::cli::enroll_input {

// Everything readable from `fd` (bounded at 64 KiB), wiped by the caller.
inline Result<std::string> ReadAll(int fd) {
  std::string out;
  char buf[512];
  while (out.size() < 64 * 1024) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(ErrorCode::kIo, "cannot read the secrets descriptor");
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  OPENSSL_cleanse(buf, sizeof(buf));
  return out;
}

// One line typed on the terminal without echo (secret_prompt.h); empty when the operator just
// pressed Enter.
inline Result<std::string> PromptNoEcho(const char* prompt) {
  char buf[257];
  long n = ReadSecret(-1, prompt, buf, sizeof(buf));  // NOLINT(runtime/int)
  if (n == -2) return Fail(ErrorCode::kPinRequired, "no terminal for --prompt: use --secrets-fd");
  if (n < 0) {
    OPENSSL_cleanse(buf, sizeof(buf));
    return Fail(ErrorCode::kEnrollSecretsInvalid, "the typed secret is too long");
  }
  std::string line(buf, static_cast<size_t>(n));
  OPENSSL_cleanse(buf, sizeof(buf));
  return line;
}

struct SecretSources {
  int fd = -1;
  std::string file;
  bool prompt = false;
};

inline Result<enroll::CardSecrets> LoadSecrets(const SecretSources& s) {
  enroll::CardSecrets out;
  std::string text;
  if (s.fd >= 0) {
    KW_ASSIGN_OR_RETURN(text, ReadAll(s.fd));
  } else if (!s.file.empty()) {
    KW_ASSIGN_OR_RETURN(text, ReadFileToString(s.file, 64 * 1024));
  }
  auto parsed = enroll::CardSecrets::Parse(text);
  OPENSSL_cleanse(text.data(), text.size());
  if (!parsed) return Fail(parsed.error());
  out = std::move(*parsed);
  if (s.prompt) {
    struct Ask {
      const char* prompt;
      std::optional<SecretBytes>* slot;
    };
    for (const Ask& a : {Ask{"Current PIN (Enter: factory default): ", &out.current_pin},
                         Ask{"New PIN (Enter: generate one): ", &out.new_pin},
                         Ask{"New PUK (Enter: generate one): ", &out.new_puk}}) {
      if (a.slot->has_value()) continue;
      KW_ASSIGN_OR_RETURN(std::string line, PromptNoEcho(a.prompt));
      if (!line.empty()) {
        *a.slot = SecretBytes(line);
        OPENSSL_cleanse(line.data(), line.size());
        KW_TRY(enroll::CheckPinFormat(**a.slot));
      }
    }
  }
  return out;
}

}  // namespace keyward::cli::enroll_input

#endif  // KEYWARD_TOOLS_KEYWARD_CMD_CARD_ENROLL_INPUT_H_
