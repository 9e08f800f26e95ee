// One bounded, owner-checked read of a small file that decides who logs in (pam.conf, the
// per-user security-key file). The file is opened without following a final symbolic link and
// without blocking (a FIFO never hangs the login), checked on the open descriptor (regular file,
// owner, forbidden permission bits, size) and read to at most `max_size` bytes. Callers map the
// failure kind to their own error code (pam.conf: kPermissionDenied / kConfigInvalid; the
// credential file: kPamCredentialFileInsecure / kPamCredentialFileInvalid / kPamNotEnrolled).
#ifndef KEYWARD_PAM_OWNED_FILE_H_
#define KEYWARD_PAM_OWNED_FILE_H_

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <variant>
#include <vector>

namespace keyward::pam {

struct OwnedFileRules {
  std::vector<uid_t> owners;  // allowed owners; empty: any owner
  mode_t forbidden_mode = 0;  // permission bits that must be clear (e.g. 077, or 022)
  size_t max_size = 64 * 1024;
};

struct OwnedFileFailure {
  enum class Kind {
    kMissing,     // ENOENT
    kSymlink,     // the path is a symbolic link
    kNotRegular,  // a directory, FIFO, device ...
    kBadOwner,    // owned by someone not in `owners`
    kBadMode,     // a forbidden permission bit is set
    kTooLarge,    // over max_size
    kIo,          // any other open / read failure
  };
  Kind kind = Kind::kIo;
  int err = 0;         // errno for kIo
  std::string detail;  // for logs: names the path, never the content
};

// The file's content, or why it was refused.
std::variant<std::string, OwnedFileFailure> ReadOwnedFile(const std::string& path,
                                                          const OwnedFileRules& rules);

}  // namespace keyward::pam

#endif  // KEYWARD_PAM_OWNED_FILE_H_
