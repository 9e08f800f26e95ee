#include "pam/fido_credentials.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "core/base64url.h"
#include "core/hash.h"
#include "core/text_lines.h"
#include "pam/owned_file.h"

namespace keyward::pam {
namespace {

constexpr size_t kMaxFile = 64 * 1024;
constexpr size_t kMaxCredentials = 64;
constexpr char kTag[] = "keyward-pam-fido";

Unexpected Invalid(size_t line, const std::string& what) {
  return Fail(ErrorCode::kPamCredentialFileInvalid, "line " + std::to_string(line) + ": " + what);
}

std::vector<std::string_view> Split(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

Result<void> MakeDirs(const std::string& dir, uid_t uid, gid_t gid) {
  if (dir.empty() || dir == "/") return {};
  struct stat st {};
  if (stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return Fail(ErrorCode::kIo, dir + " is not a directory");
    return {};
  }
  size_t slash = dir.rfind('/');
  if (slash != std::string::npos && slash > 0) KW_TRY(MakeDirs(dir.substr(0, slash), uid, gid));
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return Fail(ErrorCode::kIo, "cannot create " + dir + ": " + std::strerror(errno));
  if (chown(dir.c_str(), uid, gid) != 0)
    return Fail(ErrorCode::kIo, "cannot give " + dir + " to its user: " + std::strerror(errno));
  return {};
}

}  // namespace

Result<std::string> ExpandCredentialPath(std::string_view pattern, std::string_view user,
                                         std::string_view home) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '%') {
      out += pattern[i];
      continue;
    }
    char next = i + 1 < pattern.size() ? pattern[i + 1] : '\0';
    ++i;
    if (next == 'u') {
      out += user;
    } else if (next == 'h') {
      if (home.empty() || home.front() != '/')
        return Fail(ErrorCode::kConfigInvalid, "the user has no absolute home directory");
      out += home;
    } else if (next == '%') {
      out += '%';
    } else {
      return Fail(ErrorCode::kConfigInvalid, "fido_credentials knows %u, %h and %%");
    }
  }
  if (out.empty() || out.front() != '/' || out.find("/../") != std::string::npos)
    return Fail(ErrorCode::kConfigInvalid, "the credential file path is not absolute");
  return out;
}

Result<std::vector<PamFidoCredential>> ParseCredentialFile(std::string_view text) {
  if (text.size() > kMaxFile) return Fail(ErrorCode::kPamCredentialFileInvalid, "over 64 KiB");
  std::vector<PamFidoCredential> out;
  TextLines lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    size_t n = lines.number();
    for (char c : line) {
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
        return Invalid(n, "control character");
    }
    auto words = Split(line);
    if (words.empty() || words[0].front() == '#') continue;
    if (words.size() != 6 || words[0] != kTag || words[1] != "v1")
      return Invalid(n, "expected: keyward-pam-fido v1 RP_ID ID PUBLIC_KEY SIGN_COUNT");
    if (out.size() >= kMaxCredentials) return Invalid(n, "more than 64 credentials");
    PamFidoCredential c;
    c.rp_id = std::string(words[2]);
    if (c.rp_id.rfind("pam://", 0) != 0 || c.rp_id.size() > 256)
      return Invalid(n, "the RP ID is pam://HOST");
    auto id = Base64UrlDecode(words[3]);
    if (!id || id->empty() || id->size() > 1024) return Invalid(n, "credential id");
    auto pk = Base64UrlDecode(words[4]);
    if (!pk || pk->empty() || pk->size() > 2048) return Invalid(n, "public key");
    uint32_t count = 0;
    auto sc = words[5];
    auto [p, ec] = std::from_chars(sc.data(), sc.data() + sc.size(), count);
    if (ec != std::errc() || p != sc.data() + sc.size()) return Invalid(n, "sign count");
    c.id = std::move(*id);
    c.public_key = std::move(*pk);
    c.sign_count = count;
    for (const auto& other : out) {
      if (other.id == c.id && other.rp_id == c.rp_id) return Invalid(n, "credential listed twice");
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::string FormatCredentialFile(const std::vector<PamFidoCredential>& creds) {
  std::string s = "# keyward: security keys for local login (keyward fido enroll --pam)\n";
  for (const auto& c : creds) {
    s += std::string(kTag) + " v1 " + c.rp_id + " " + Base64UrlEncode(c.id) + " " +
         Base64UrlEncode(c.public_key) + " " + std::to_string(c.sign_count) + "\n";
  }
  return s;
}

Result<std::vector<PamFidoCredential>> ReadCredentialFile(const std::string& path, uid_t user_uid) {
  OwnedFileRules rules;
  rules.owners = {user_uid, 0};
  rules.forbidden_mode = 077;
  rules.max_size = kMaxFile;
  auto read = ReadOwnedFile(path, rules);
  if (auto* f = std::get_if<OwnedFileFailure>(&read)) {
    using Kind = OwnedFileFailure::Kind;
    switch (f->kind) {
      case Kind::kMissing:
        return Fail(ErrorCode::kPamNotEnrolled, "no credential file " + path);
      case Kind::kSymlink:
      case Kind::kNotRegular:
        return Fail(ErrorCode::kPamCredentialFileInsecure, f->detail);
      case Kind::kBadOwner:
        return Fail(ErrorCode::kPamCredentialFileInsecure,
                    path + " is owned by neither its user nor root");
      case Kind::kBadMode:
        return Fail(ErrorCode::kPamCredentialFileInsecure,
                    path + " is open to group or others (chmod 600)");
      case Kind::kTooLarge:
        return Fail(ErrorCode::kPamCredentialFileInvalid, f->detail);
      case Kind::kIo:
        return Fail(ErrorCode::kIo, f->detail, static_cast<uint32_t>(f->err));
    }
  }
  auto creds = ParseCredentialFile(std::get<std::string>(read));
  if (!creds) return Fail(creds.error().code, path + ": " + creds.error().detail);
  return creds;
}

Result<void> WriteCredentialFile(const std::string& path,
                                 const std::vector<PamFidoCredential>& creds, uid_t uid, gid_t gid,
                                 bool create_dirs) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return Fail(ErrorCode::kInvalidArgument, "relative path");
  std::string dir = path.substr(0, slash);
  if (create_dirs) KW_TRY(MakeDirs(dir, uid, gid));
  KW_ASSIGN_OR_RETURN(Bytes rnd, RandomBytes(6));
  std::string tmp = path + ".tmp-" + HexEncode(rnd);
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Fail(ErrorCode::kIo, "cannot create " + tmp + ": " + std::strerror(errno));
  auto fail = [&](const std::string& what) {
    close(fd);
    unlink(tmp.c_str());
    return Fail(ErrorCode::kIo, what + ": " + std::strerror(errno));
  };
  if (fchown(fd, uid, gid) != 0) return fail("cannot give " + tmp + " to its user");
  if (fchmod(fd, 0600) != 0) return fail("cannot chmod " + tmp);
  std::string text = FormatCredentialFile(creds);
  size_t off = 0;
  while (off < text.size()) {
    ssize_t w = write(fd, text.data() + off, text.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return fail("cannot write " + tmp);
    off += static_cast<size_t>(w);
  }
  if (fsync(fd) != 0) return fail("cannot sync " + tmp);
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    return Fail(ErrorCode::kIo, "cannot replace " + path + ": " + std::strerror(errno));
  }
  int dfd = open(dir.empty() ? "/" : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return {};
}

}  // namespace keyward::pam
