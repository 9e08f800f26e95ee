#include "pam/owned_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace keyward::pam {
namespace {

OwnedFileFailure Failure(OwnedFileFailure::Kind kind, std::string detail, int err = 0) {
  return OwnedFileFailure{kind, err, std::move(detail)};
}

// Closes the descriptor on every path out.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

}  // namespace

std::variant<std::string, OwnedFileFailure> ReadOwnedFile(const std::string& path,
                                                          const OwnedFileRules& rules) {
  using Kind = OwnedFileFailure::Kind;
  Fd f{open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)};
  if (f.fd < 0) {
    const int e = errno;
    if (e == ENOENT) return Failure(Kind::kMissing, "no file " + path, e);
    if (e == ELOOP) return Failure(Kind::kSymlink, path + " is a symbolic link", e);
    return Failure(Kind::kIo, "cannot open " + path + ": " + std::strerror(e), e);
  }
  struct stat st {};
  if (fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode))
    return Failure(Kind::kNotRegular, path + " is not a regular file");
  if (!rules.owners.empty() &&
      std::find(rules.owners.begin(), rules.owners.end(), st.st_uid) == rules.owners.end())
    return Failure(Kind::kBadOwner, path + " has an owner it may not have");
  if ((st.st_mode & rules.forbidden_mode) != 0)
    return Failure(Kind::kBadMode, path + " is open to group or others");
  if (st.st_size < 0 || static_cast<size_t>(st.st_size) > rules.max_size)
    return Failure(Kind::kTooLarge, path + " is over " + std::to_string(rules.max_size) + " bytes");
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t r = read(f.fd, buf, sizeof(buf));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Failure(Kind::kIo, "cannot read " + path, errno);
    if (r == 0) break;
    text.append(buf, static_cast<size_t>(r));
    if (text.size() > rules.max_size)  // it grew while we read
      return Failure(Kind::kTooLarge,
                     path + " is over " + std::to_string(rules.max_size) + " bytes");
  }
  return text;
}

}  // namespace keyward::pam
