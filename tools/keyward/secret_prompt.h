// Reading a secret (PIN, PUK, key) for the CLI: one line from a file descriptor (`--pin-fd N`
// style), or typed on the terminal with echo off. Never from argv.
#ifndef KEYWARD_TOOLS_KEYWARD_SECRET_PROMPT_H_
#define KEYWARD_TOOLS_KEYWARD_SECRET_PROMPT_H_

#include <cstddef>

namespace keyward::cli {

// Reads one line into `buf` (CR/LF stripped); returns its length, or -1 (too long / unreadable).
long ReadSecretLine(int fd, char* buf, size_t cap);  // NOLINT(runtime/int)
// From `fd` when >= 0, else prompts `prompt` on stderr and reads stdin without echo; -2 when
// there is no terminal to prompt on.
long ReadSecret(int fd, const char* prompt, char* buf, size_t cap);  // NOLINT(runtime/int)

}  // namespace keyward::cli

#endif  // KEYWARD_TOOLS_KEYWARD_SECRET_PROMPT_H_
