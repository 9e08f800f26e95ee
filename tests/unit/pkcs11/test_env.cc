#include "tests/unit/pkcs11/test_env.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "pkcs11/session.h"

extern char** environ;

namespace keyward::pkcs11::testing {
namespace {

pid_t Spawn(const std::vector<std::string>& argv, const std::string& log,
            const std::string& out = "", const std::string& in = "/dev/null") {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (out.empty()) {
    posix_spawn_file_actions_adddup2(&fa, 2, 1);
  } else {
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("spawn " + argv[0] + ": " + std::strerror(rc));
  return pid;
}

int WaitPid(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The responder prints "ACCEPT [::]:PORT ..." once it listens. (Probing it with a bare connect
// wedges `openssl ocsp` 3.0: it then waits on the probe connection forever.)
bool LogSaysListening(const std::string& log) {
  auto text = ReadFileToString(log);
  return text && text->find("ACCEPT") != std::string::npos;
}

std::string AsnTime(int64_t t) {
  char buf[32];
  time_t tt = static_cast<time_t>(t);
  struct tm tm {};
  gmtime_r(&tt, &tm);
  // UTCTime as the openssl ca database writes it: YYMMDDHHMMSSZ.
  snprintf(buf, sizeof(buf), "%02d%02d%02d%02d%02d%02dZ", tm.tm_year % 100, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

}  // namespace

int Run(const std::vector<std::string>& argv, const std::string& log) {
  return WaitPid(Spawn(argv, log));
}

int RunCapture(const std::vector<std::string>& argv, const std::string& log, const std::string& out,
               const std::string& in) {
  return WaitPid(Spawn(argv, log, out, in));
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "keyward-p11-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

SoftHsm::SoftHsm() {
  std::filesystem::create_directory(dir() + "/tokens");
  WriteFile(dir() + "/softhsm2.conf",
            "directories.tokendir = " + dir() +
                "/tokens\nobjectstore.backend = file\nlog.level = ERROR\n");
  setenv("SOFTHSM2_CONF", (dir() + "/softhsm2.conf").c_str(), 1);
}

SoftHsm::~SoftHsm() { unsetenv("SOFTHSM2_CONF"); }

void SoftHsm::InitToken(const std::string& label) {
  int rc = Run({"softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin", kSoPin,
                "--pin", kUserPin},
               log());
  if (rc != 0) throw std::runtime_error("softhsm2-util --init-token failed");
}

EvpPkeyPtr SoftHsm::GenerateKey(const std::string& label, const std::string& id_hex,
                                const std::string& spec) {
  int rc =
      Run({"pkcs11-tool", "--module", kSoftHsmModule, "--token-label", label, "--login", "--pin",
           kUserPin, "--keypairgen", "--key-type", spec, "--id", id_hex, "--label", "key" + id_hex},
          log());
  if (rc != 0) throw std::runtime_error("pkcs11-tool --keypairgen failed");
  return ReadPublicKey(label, id_hex);
}

// Through PKCS#11 itself (pkcs11-tool 0.23 --read-object cannot convert P-384 keys).
EvpPkeyPtr SoftHsm::ReadPublicKey(const std::string& label, const std::string& id_hex) {
  auto module = Module::Load(kSoftHsmModule);
  if (!module) throw std::runtime_error("load SoftHSM");
  TokenSelector sel;
  sel.label = label;
  auto token = SelectToken(**module, sel);
  if (!token) throw std::runtime_error("token");
  auto session = Session::Open(*module, *token);
  if (!session) throw std::runtime_error("session");
  CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
  Bytes id = *HexDecode(id_hex);
  auto handles =
      session->FindObjects({{CKA_CLASS, &cls, sizeof(cls)}, {CKA_ID, id.data(), id.size()}});
  if (!handles || handles->size() != 1) throw std::runtime_error("public key object");
  CK_OBJECT_HANDLE h = (*handles)[0];
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  const char* type = nullptr;
  std::string group;
  Bytes point;
  BIGNUM *n = nullptr, *e = nullptr;
  if (auto ec_params = session->Attribute(h, CKA_EC_PARAMS)) {
    type = "EC";
    const unsigned char* p = ec_params->data();
    ASN1_OBJECT* obj = d2i_ASN1_OBJECT(nullptr, &p, static_cast<long>(ec_params->size()));
    if (!obj) throw std::runtime_error("EC params");
    group = OBJ_nid2sn(OBJ_obj2nid(obj));
    ASN1_OBJECT_free(obj);
    auto ec_point = session->Attribute(h, CKA_EC_POINT);
    if (!ec_point) throw std::runtime_error("EC point");
    const unsigned char* q = ec_point->data();
    ASN1_OCTET_STRING* os = d2i_ASN1_OCTET_STRING(nullptr, &q, static_cast<long>(ec_point->size()));
    if (!os) throw std::runtime_error("EC point DER");
    point.assign(ASN1_STRING_get0_data(os), ASN1_STRING_get0_data(os) + ASN1_STRING_length(os));
    ASN1_OCTET_STRING_free(os);
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group.c_str(), 0);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  } else {
    type = "RSA";
    auto mod = session->Attribute(h, CKA_MODULUS);
    auto exp = session->Attribute(h, CKA_PUBLIC_EXPONENT);
    if (!mod || !exp) throw std::runtime_error("RSA public key");
    n = BN_bin2bn(mod->data(), static_cast<int>(mod->size()), nullptr);
    e = BN_bin2bn(exp->data(), static_cast<int>(exp->size()), nullptr);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
  }
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
      EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    throw std::runtime_error("EVP_PKEY_fromdata");
  }
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  BN_free(n);
  BN_free(e);
  return EvpPkeyPtr(key);
}

void SoftHsm::WriteCertificate(const std::string& label, const std::string& id_hex, X509* cert,
                               const std::string& object_label) {
  std::string path = dir() + "/cert" + id_hex + object_label + ".der";
  Bytes der = Der(cert);
  WriteFile(path, std::string(der.begin(), der.end()));
  int rc = Run(
      {"pkcs11-tool", "--module", kSoftHsmModule, "--token-label", label, "--login", "--pin",
       kUserPin, "--write-object", path, "--type", "cert", "--id", id_hex, "--label", object_label},
      log());
  if (rc != 0) throw std::runtime_error("pkcs11-tool --write-object failed");
}

bool EnterPrivateNetworkNamespace(std::string* why) {
  if (unshare(CLONE_NEWNET) != 0) {
    *why = std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
    return false;
  }
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  bool ok = fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);  // NOLINT(runtime/int)
  ok = ok && ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
  if (fd >= 0) close(fd);
  if (!ok) *why = std::string("bringing lo up: ") + std::strerror(errno);
  return ok;
}

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

std::string IndexLine(X509* cert, bool revoked, int64_t now) {
  std::string subject;
  {
    char* s = X509_NAME_oneline(X509_get_subject_name(cert), nullptr, 0);
    subject = s;
    OPENSSL_free(s);
  }
  const ASN1_TIME* na = X509_get0_notAfter(cert);
  struct tm tm {};
  ASN1_TIME_to_tm(na, &tm);
  std::string expiry = AsnTime(timegm(&tm));
  return std::string(revoked ? "R" : "V") + "\t" + expiry + "\t" +
         (revoked ? AsnTime(now - kDay) : "") + "\t" + SerialHexUpper(cert) + "\tunknown\t" +
         subject + "\n";
}

OcspResponder::OcspResponder(const TestCa& ca, const std::string& dir,
                             const std::string& index_text) {
  WriteFile(dir + "/ocsp-ca.pem", ca.CertPem());
  WriteFile(dir + "/ocsp-ca.key", ca.KeyPem());
  WriteFile(dir + "/index.txt", index_text);
  WriteFile(dir + "/index.txt.attr", "unique_subject = no\n");
  for (int attempt = 0; attempt < 5 && !ready_; ++attempt) {
    port_ = FreeLoopbackPort();
    std::filesystem::remove(dir + "/ocsp.log");
    pid_ = Spawn({"openssl", "ocsp", "-index", dir + "/index.txt", "-port", std::to_string(port_),
                  "-rsigner", dir + "/ocsp-ca.pem", "-rkey", dir + "/ocsp-ca.key", "-CA",
                  dir + "/ocsp-ca.pem", "-ndays", "1"},
                 dir + "/ocsp.log");
    for (int i = 0; i < 100; ++i) {  // bounded wait: 10 s
      if (LogSaysListening(dir + "/ocsp.log")) {
        ready_ = true;
        break;
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;  // exited (port taken?): retry with another port
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!ready_ && pid_ > 0) {
      kill(pid_, SIGTERM);
      WaitPid(pid_);
      pid_ = -1;
    }
  }
}

OcspResponder::~OcspResponder() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    WaitPid(pid_);
  }
}

std::string KeyPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);  // NOLINT(runtime/int)
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

HostileOcspResponder::HostileOcspResponder(const TestCa& ca, const std::string& dir,
                                           std::vector<std::string> args, X509* signer,
                                           EVP_PKEY* signer_key) {
  static int serial = 0;
  std::string base = dir + "/hostile" + std::to_string(++serial);
  WriteFile(base + "-ca.pem", ca.CertPem());
  WriteFile(base + "-signer.pem", Pem(signer ? signer : ca.cert.get()));
  WriteFile(base + "-signer.key", KeyPem(signer_key ? signer_key : ca.key.get()));
  std::string port_file = base + ".port";
  std::vector<std::string> argv = {KEYWARD_HOSTILE_OCSP_RESPONDER,
                                   "--port-file",
                                   port_file,
                                   "--ca",
                                   base + "-ca.pem",
                                   "--signer",
                                   base + "-signer.pem",
                                   "--signer-key",
                                   base + "-signer.key",
                                   "--lifetime",
                                   "60"};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_ = Spawn(argv, base + ".log");
  for (int i = 0; i < 100; ++i) {  // bounded wait: 10 s
    if (auto text = ReadFileToString(port_file)) {
      port_ = std::atoi(text->c_str());
      return;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;  // exited at start (bad arguments): ready() is false
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

HostileOcspResponder::~HostileOcspResponder() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    WaitPid(pid_);
  }
}

}  // namespace keyward::pkcs11::testing
