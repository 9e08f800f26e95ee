#include "tests/unit/pcsc/harness.h"

#include <openssl/x509.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "pcsc/context.h"
#include "pcsc/monitor.h"
#include "pcsc/piv_client.h"

namespace keyward::pcsc::testing {

ChildProcess& ChildProcess::operator=(ChildProcess&& o) noexcept {
  if (this != &o) {
    Stop();
    pid_ = o.pid_;
    o.pid_ = -1;
  }
  return *this;
}

Result<ChildProcess> ChildProcess::Spawn(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) return Fail(ErrorCode::kIo, "fork");
  if (pid == 0) {
    execvp(args[0], args.data());
    _exit(127);
  }
  ChildProcess c;
  c.pid_ = pid;
  return c;
}

int ChildProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  return status;
}

int ChildProcess::Wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

TempDir::TempDir() {
  std::string tmpl = std::filesystem::temp_directory_path().string() + "/keyward-pcsc.XXXXXX";
  if (mkdtemp(tmpl.data())) path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

std::string SoftPivBinary() {
  if (const char* s = std::getenv("KEYWARD_SOFTPIV")) return s;
  return std::string(KEYWARD_BIN_DIR) + "/keyward-softpiv";
}

int VpcdPort() {
  const char* p = std::getenv("KEYWARD_VPCD_PORT");
  return p ? std::atoi(p) : 35963;
}

std::string SoftReader() { return "Virtual PCD 00 00"; }

Result<ChildProcess> StartSoftCard(const std::string& state,
                                   const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {SoftPivBinary(), "--state", state, "--port",
                                   std::to_string(VpcdPort())};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return ChildProcess::Spawn(argv);
}

Result<void> WaitForCard(bool present, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto m = Monitor::Create();
    if (m) {
      auto snap = (*m)->Snapshot();
      if (snap) {
        for (const auto& r : *snap) {
          if (r.reader == SoftReader() && r.card_present == present) return Ok();
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Fail(ErrorCode::kTimeout, present ? "card did not appear" : "card did not go away");
}

Result<void> StopWrapperPcscd() {
  const char* p = std::getenv("KEYWARD_PCSCD_PID");
  if (!p) return Fail(ErrorCode::kInvalidArgument, "KEYWARD_PCSCD_PID not set");
  pid_t pid = static_cast<pid_t>(std::atoi(p));
  if (kill(pid, SIGTERM) != 0) return Fail(ErrorCode::kIo, "kill pcscd");
  for (int i = 0; i < 200; ++i) {
    struct stat st;
    if (stat("/run/pcscd/pcscd.comm", &st) != 0 && kill(pid, 0) != 0) return Ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Fail(ErrorCode::kTimeout, "pcscd did not stop");
}

Result<ChildProcess> StartPcscd(const std::string& config_dir) {
  const char* env = std::getenv("KEYWARD_PCSCD_CONFIG");
  std::string conf = config_dir.empty() ? (env ? env : "") : config_dir;
  if (conf.empty()) return Fail(ErrorCode::kInvalidArgument, "KEYWARD_PCSCD_CONFIG not set");
  // Leftovers of a killed daemon would make the new one refuse to start.
  unlink("/run/pcscd/pcscd.comm");
  unlink("/run/pcscd/pcscd.pid");
  KW_ASSIGN_OR_RETURN(ChildProcess p, ChildProcess::Spawn({"pcscd", "--foreground", "-c", conf}));
  for (int i = 0; i < 200; ++i) {
    struct stat st;
    if (stat("/run/pcscd/pcscd.comm", &st) == 0) return p;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Fail(ErrorCode::kTimeout, "pcscd socket did not appear");
}

Result<Bytes> MakeCertificate(EVP_PKEY* subject_key, const std::string& cn) {
  EvpPkeyPtr issuer(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  X509Ptr cert(X509_new());
  if (!issuer || !cert) return Fail(ErrorCode::kCryptoInternal, "alloc");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 4242);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600L * 24 * 365);
  X509_NAME* subject = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_NAME* issuer_name = X509_get_issuer_name(cert.get());
  X509_NAME_add_entry_by_txt(issuer_name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("keyward test CA"), -1, -1, 0);
  X509_set_pubkey(cert.get(), subject_key);
  if (X509_sign(cert.get(), issuer.get(), EVP_sha256()) <= 0) {
    return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("X509_sign"));
  }
  unsigned char* der = nullptr;
  int len = i2d_X509(cert.get(), &der);
  if (len <= 0) return Fail(ErrorCode::kCryptoInternal, "i2d_X509");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

Result<void> ProvisionAuthenticationSlot(const std::string& holder_cn, bool compress) {
  KW_ASSIGN_OR_RETURN(auto ctx, Context::Establish());
  KW_ASSIGN_OR_RETURN(auto client, piv::PivClient::Open(ctx, SoftReader()));
  KW_TRY(client->AuthenticateManagementKey(piv::ManagementKey::Default()));
  KW_ASSIGN_OR_RETURN(auto pub,
                      client->GenerateKey(piv::Slot::kAuthentication, piv::Algorithm::kEccP256));
  KW_ASSIGN_OR_RETURN(auto key, pub.ToEvp());
  KW_ASSIGN_OR_RETURN(Bytes cert, MakeCertificate(key.get(), holder_cn));
  KW_TRY(client->WriteCertificate(piv::Slot::kAuthentication, cert, compress));
  if (client->VerifyPin(SecretBytes(std::string_view("000000")))) {
    return Fail(ErrorCode::kInternal, "the wrong PIN 000000 was accepted");
  }
  return Ok();
}

int RunCommand(const std::string& command, std::string* output) {
  std::string cmd = command + " 2>&1";
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) output->append(buf, n);
  int status = pclose(f);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace keyward::pcsc::testing
