// Test-only services: a SoftHSM2 token store in a per-test temporary SOFTHSM2_CONF (keys made
// with pkcs11-tool, i.e. on the token through PKCS#11), child processes run and waited on, and an
// `openssl ocsp` responder on a free loopback port stopped by PID.
#ifndef KEYWARD_TESTS_UNIT_PKCS11_TEST_ENV_H_
#define KEYWARD_TESTS_UNIT_PKCS11_TEST_ENV_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "tests/unit/pkcs11/test_pki.h"

namespace keyward::pkcs11::testing {

inline constexpr char kSoftHsmModule[] = "/usr/lib/softhsm/libsofthsm2.so";
inline constexpr char kUserPin[] = "123456";
inline constexpr char kSoPin[] = "87654321";

// Runs argv[0] (searched in PATH), output appended to `log`; returns the exit status (-1 when it
// did not exit normally).
int Run(const std::vector<std::string>& argv, const std::string& log);
// Same with stdout to `out` (truncated) and stdin from `in`.
int RunCapture(const std::vector<std::string>& argv, const std::string& log, const std::string& out,
               const std::string& in);

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class SoftHsm {
 public:
  SoftHsm();  // creates the store and points SOFTHSM2_CONF at it
  ~SoftHsm();
  const std::string& dir() const { return dir_.path(); }
  std::string log() const { return dir_.path() + "/tools.log"; }

  void InitToken(const std::string& label);
  // Generates a key pair on the token; returns its public key.
  EvpPkeyPtr GenerateKey(const std::string& label, const std::string& id_hex,
                         const std::string& spec);
  EvpPkeyPtr ReadPublicKey(const std::string& label, const std::string& id_hex);
  void WriteCertificate(const std::string& label, const std::string& id_hex, X509* cert,
                        const std::string& object_label);

 private:
  TempDir dir_;
};

// Moves this process into a private network namespace with only its own loopback up (needs
// CAP_SYS_ADMIN; CI runs as root). OpenSSL 3.0's `openssl ocsp -port` accepts only a port and
// listens on every interface: inside the namespace that is a private loopback and nothing leaves.
bool EnterPrivateNetworkNamespace(std::string* why);

class OcspResponder {
 public:
  // Serves `index` (openssl ca database format) signed by `ca` on PORT (see above).
  OcspResponder(const TestCa& ca, const std::string& dir, const std::string& index_text);
  ~OcspResponder();
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  bool ready() const { return ready_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  bool ready_ = false;
};

// keyward-test-ocsp-responder (hostile_ocsp_responder.cc): an OCSP responder that misbehaves on
// request, on 127.0.0.1 and an ephemeral port, alive at most 60 s; stopped by PID (SIGTERM +
// waitpid) on destruction. `args` are its --mode/--status/--this-update/--next-update options;
// `signer` signs (default: the CA itself).
class HostileOcspResponder {
 public:
  HostileOcspResponder(const TestCa& ca, const std::string& dir, std::vector<std::string> args,
                       X509* signer = nullptr, EVP_PKEY* signer_key = nullptr);
  ~HostileOcspResponder();
  HostileOcspResponder(const HostileOcspResponder&) = delete;
  HostileOcspResponder& operator=(const HostileOcspResponder&) = delete;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  bool ready() const { return port_ > 0; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

std::string KeyPem(EVP_PKEY* key);

int FreeLoopbackPort();
// An index.txt line for the openssl responder.
std::string IndexLine(X509* cert, bool revoked, int64_t now);

}  // namespace keyward::pkcs11::testing

#endif  // KEYWARD_TESTS_UNIT_PKCS11_TEST_ENV_H_
