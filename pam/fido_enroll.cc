#include "pam/fido_enroll.h"

#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "core/base64url.h"
#include "keyward/webauthn.h"
#include "pam/authenticate.h"
#include "pam/fido_credentials.h"
#include "pam/fido_store.h"
#include "pam/pam_config.h"

namespace keyward::pam {

namespace {

Result<void> WriteAsUser(const std::string& path, const std::vector<PamFidoCredential>& creds,
                         const LocalUser& u) {
  pid_t pid = fork();
  if (pid < 0) return Fail(ErrorCode::kIo, "fork failed");
  if (pid == 0) {
    if (setgroups(0, nullptr) != 0 || setgid(u.gid) != 0 || setuid(u.uid) != 0) _exit(2);
    _exit(WriteCredentialFile(path, creds, u.uid, u.gid, /*create_dirs=*/true) ? 0 : 1);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Fail(ErrorCode::kIo, "waitpid failed");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Fail(ErrorCode::kIo, "cannot write " + path + " as " + u.name);
  }
  return {};
}

}  // namespace

std::string DefaultPamRpId() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "pam://localhost";
  return std::string("pam://") + buf;
}

Result<PamEnrollment> SavePamEnrollment(const std::string& user, const std::string& rp_id,
                                        const std::string& file, const std::string& store_url,
                                        const fido::Credential& cred,
                                        const std::string& client_data_json, ByteSpan challenge,
                                        bool require_uv) {
  if (rp_id.rfind("pam://", 0) != 0 || rp_id.size() <= 6)
    return Fail(ErrorCode::kInvalidArgument, "a login credential's RP ID is pam://HOST");
  KW_ASSIGN_OR_RETURN(LocalUser u, LookupUser(user));
  if (!store_url.empty() && !file.empty())
    return Fail(ErrorCode::kInvalidArgument, "--pam-file and --db exclude each other");
  std::string path = file;
  if (!store_url.empty()) {
    // the store is opened below, after the registration verified
  } else if (path.empty()) {
    KW_ASSIGN_OR_RETURN(path, ExpandCredentialPath(kDefaultFidoCredentials, u.name, u.home));
  } else if (path.front() != '/') {
    return Fail(ErrorCode::kInvalidArgument, "--pam-file takes an absolute path");
  }

  // Verify what the key returned, as a relying party would.
  KW_ASSIGN_OR_RETURN(Bytes att, fido::MakeAttestationObject(cred));
  webauthn::RegistrationResponse response;
  response.id = cred.id;
  response.raw_id = cred.id;
  response.client_data_json = client_data_json;
  response.attestation_object = std::move(att);
  webauthn::RegistrationExpectations expect;
  expect.challenge = ToBytes(challenge);
  expect.rp_id = rp_id;
  expect.origin.origins = {rp_id};
  expect.require_user_verification = require_uv;
  KW_ASSIGN_OR_RETURN(webauthn::VerifiedRegistration reg,
                      webauthn::VerifyRegistration(response, expect));

  if (!store_url.empty()) {
    KW_ASSIGN_OR_RETURN(std::unique_ptr<PamFidoStore> store, PamFidoStore::Open(store_url, true));
    KW_ASSIGN_OR_RETURN(size_t n, store->Enroll(u.name, rp_id, reg));
    auto url = authenticator::ParseStoreUrl(store_url);
    return PamEnrollment{u.name, "", url ? url->Redacted() : "", rp_id, reg.sign_count, n};
  }
  std::vector<PamFidoCredential> creds;
  auto existing = ReadCredentialFile(path, u.uid);
  if (existing) {
    creds = std::move(*existing);
  } else if (existing.error().code != ErrorCode::kPamNotEnrolled) {
    return Fail(existing.error());
  }
  for (const auto& c : creds) {
    if (c.id == reg.credential_id && c.rp_id == rp_id)
      return Fail(ErrorCode::kAlreadyExists, "this credential is enrolled already");
  }
  creds.push_back(
      PamFidoCredential{rp_id, reg.credential_id, reg.credential_public_key, reg.sign_count});
  if (file.empty() && geteuid() == 0 && u.uid != 0) {
    // The default file lives in the user's home, which the user controls: write it as the user,
    // so a symlink planted there cannot make root write elsewhere.
    KW_TRY(WriteAsUser(path, creds, u));
  } else {
    KW_TRY(WriteCredentialFile(path, creds, u.uid, u.gid, /*create_dirs=*/true));
  }
  return PamEnrollment{u.name, path, "", rp_id, reg.sign_count, creds.size()};
}

}  // namespace keyward::pam
