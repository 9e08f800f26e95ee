#include "pkcs11/ocsp_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>
#include <vector>

#include "core/hash.h"

namespace keyward::pkcs11 {
namespace {

bool TrustedOwner(uid_t uid) { return uid == 0 || uid == geteuid(); }

bool UsableDir(const std::string& dir, bool create) {
  if (dir.empty() || dir.front() != '/') return false;
  struct stat st {};
  if (lstat(dir.c_str(), &st) != 0) {
    if (!create || errno != ENOENT) return false;
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return false;
    if (lstat(dir.c_str(), &st) != 0) return false;
  }
  return S_ISDIR(st.st_mode) && TrustedOwner(st.st_uid) && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

bool ValidKey(const std::string& key) {
  return key.size() == 64 && std::all_of(key.begin(), key.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// Oldest entries go until there is room for one more.
void Evict(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  std::vector<std::pair<int64_t, std::string>> entries;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (!ValidKey(name)) continue;
    struct stat st {};
    if (fstatat(dirfd(d), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    entries.emplace_back(static_cast<int64_t>(st.st_mtime), name);
  }
  closedir(d);
  if (entries.size() < kOcspCacheMaxEntries) return;
  std::sort(entries.begin(), entries.end());
  size_t drop = entries.size() - kOcspCacheMaxEntries + 1;
  for (size_t i = 0; i < drop; ++i) unlink((dir + "/" + entries[i].second).c_str());
}

}  // namespace

std::string OcspCacheKey(const Certificate& leaf, const Certificate& issuer) {
  Bytes material(issuer.der().begin(), issuer.der().end());
  const ASN1_INTEGER* serial = X509_get0_serialNumber(leaf.get());
  unsigned char* der = nullptr;
  int n = serial ? i2d_ASN1_INTEGER(serial, &der) : -1;
  if (n > 0) material.insert(material.end(), der, der + n);
  OPENSSL_free(der);
  auto h = Sha256(material);
  return HexEncode(h);
}

std::optional<Bytes> OcspCacheGet(const std::string& dir, const std::string& key) {
  if (!ValidKey(key) || !UsableDir(dir, false)) return std::nullopt;
  int fd = open((dir + "/" + key).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  Bytes out;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && TrustedOwner(st.st_uid) && st.st_size > 0 &&
      static_cast<size_t>(st.st_size) <= kOcspCacheMaxResponse) {
    uint8_t buf[4096];
    for (;;) {
      ssize_t r = read(fd, buf, sizeof(buf));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      out.insert(out.end(), buf, buf + r);
      if (out.size() > kOcspCacheMaxResponse) break;
    }
  }
  close(fd);
  if (out.empty() || out.size() > kOcspCacheMaxResponse) return std::nullopt;
  return out;
}

void OcspCachePut(const std::string& dir, const std::string& key, ByteSpan der) {
  if (!ValidKey(key) || der.empty() || der.size() > kOcspCacheMaxResponse) return;
  if (!UsableDir(dir, true)) return;
  Evict(dir);
  auto rnd = RandomBytes(6);
  if (!rnd) return;
  const std::string tmp = dir + "/.tmp-" + HexEncode(*rnd);
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return;
  size_t off = 0;
  bool ok = true;
  while (off < der.size()) {
    ssize_t w = write(fd, der.data() + off, der.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      ok = false;
      break;
    }
    off += static_cast<size_t>(w);
  }
  ok = ok && fsync(fd) == 0;
  close(fd);
  if (!ok || rename(tmp.c_str(), (dir + "/" + key).c_str()) != 0) unlink(tmp.c_str());
}

void OcspCacheRemove(const std::string& dir, const std::string& key) {
  if (!ValidKey(key) || !UsableDir(dir, false)) return;
  unlink((dir + "/" + key).c_str());
}

}  // namespace keyward::pkcs11
