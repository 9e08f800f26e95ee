#include "tests/unit/authenticator/test_util.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/hash.h"

namespace keyward::authenticator::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/kw_authn_XXXXXX";
  char* p = mkdtemp(tmpl.data());
  if (p == nullptr) std::abort();
  path_ = p;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Bytes MakeCrl(X509* issuer, EVP_PKEY* issuer_key, const std::vector<X509*>& revoked,
              int64_t this_update, int64_t next_update) {
  X509_CRL* crl = X509_CRL_new();
  if (crl == nullptr || X509_CRL_set_version(crl, 1) != 1 ||
      X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)) != 1) {
    std::abort();
  }
  ASN1_TIME* t = ASN1_TIME_set(nullptr, static_cast<time_t>(this_update));
  ASN1_TIME* n = ASN1_TIME_set(nullptr, static_cast<time_t>(next_update));
  X509_CRL_set1_lastUpdate(crl, t);
  X509_CRL_set1_nextUpdate(crl, n);
  for (X509* cert : revoked) {
    X509_REVOKED* r = X509_REVOKED_new();
    X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(cert));
    X509_REVOKED_set_revocationDate(r, t);
    X509_CRL_add0_revoked(crl, r);
  }
  ASN1_TIME_free(t);
  ASN1_TIME_free(n);
  X509_CRL_sort(crl);
  if (X509_CRL_sign(crl, issuer_key, EVP_sha256()) <= 0) std::abort();
  unsigned char* der = nullptr;
  const int len = i2d_X509_CRL(crl, &der);
  if (len <= 0) std::abort();
  Bytes out(der, der + len);
  OPENSSL_free(der);
  X509_CRL_free(crl);
  return out;
}

Principal MakePrincipal(const std::string& name) {
  Principal p;
  p.id = "p_" + HexEncode(Sha256(AsBytes("id:" + name))).substr(0, 32);
  auto handle = Sha256(AsBytes("handle:" + name));
  p.user_handle = Bytes(handle.begin(), handle.end());
  p.name = name;
  p.display_name = "Display " + name;
  p.created_at = 1700000000;
  return p;
}

Credential MakeCredential(const std::string& principal_id, uint32_t n) {
  const std::string seed = "cred:" + std::to_string(n);
  auto d = Sha256(AsBytes(seed));
  Credential c;
  c.id = Bytes(d.begin(), d.end());
  c.principal_id = principal_id;
  c.kind = n % 3 == 0 ? CredentialKind::kPasskey
                      : (n % 3 == 1 ? CredentialKind::kSecurityKey : CredentialKind::kSmartCard);
  auto pk = Sha256(AsBytes("pk:" + seed));
  c.public_key = Bytes(pk.begin(), pk.end());
  c.public_key.resize(77, static_cast<uint8_t>(n));
  c.alg = -7;
  c.sign_count = n;
  std::array<uint8_t, 16> aaguid{};
  for (size_t i = 0; i < aaguid.size(); ++i) aaguid[i] = static_cast<uint8_t>(n + i);
  c.aaguid = aaguid;
  c.attestation_fmt = "packed";
  c.attestation_type = "basic";
  c.trust_status = "trusted";
  c.trust_anchor = "CN=anchor " + std::to_string(n);
  c.transports = {"usb", "nfc"};
  c.backup_eligible = n % 2 == 0;
  c.backup_state = n % 4 == 0;
  c.user_verified_at_registration = true;
  c.created_at = 1700000000 + n;
  c.nickname = "nick " + std::to_string(n);
  if (c.kind == CredentialKind::kSmartCard) {
    // Stand-ins for intermediate certificates: the store keeps the bytes as given.
    c.certificate_intermediates = {Bytes(40 + n, static_cast<uint8_t>(n)), Bytes{0x30, 0x00}};
  }
  return c;
}

bool CredentialMatchesSeed(const Credential& c, uint32_t n) {
  Credential e = MakeCredential(c.principal_id, n);
  return c.id == e.id && c.kind == e.kind && c.public_key == e.public_key && c.alg == e.alg &&
         c.sign_count == e.sign_count && c.aaguid == e.aaguid &&
         c.attestation_fmt == e.attestation_fmt && c.trust_anchor == e.trust_anchor &&
         c.transports == e.transports && c.backup_eligible == e.backup_eligible &&
         c.backup_state == e.backup_state && c.created_at == e.created_at &&
         c.nickname == e.nickname && c.certificate_intermediates == e.certificate_intermediates;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CliRun Keyward(const std::string& args) {
  const std::string cmd = std::string(KEYWARD_BIN_DIR) + "/keyward " + args + " 2>/dev/null";
  CliRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

Json MustJson(const std::string& text) {
  auto j = ParseJson(text);
  if (!j) {
    ADD_FAILURE() << "not JSON: " << text;
    return Json::object();
  }
  return *j;
}

}  // namespace keyward::authenticator::testing
