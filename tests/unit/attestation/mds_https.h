// A loopback HTTPS + HTTP file server (mds_https_server.py) started and stopped by the test, with
// its own TLS CA, and an MDS PKI whose signer names a CRL distribution point on that server.
// Tests only.
#ifndef KEYWARD_TESTS_UNIT_ATTESTATION_MDS_HTTPS_H_
#define KEYWARD_TESTS_UNIT_ATTESTATION_MDS_HTTPS_H_

#include <fcntl.h>
#include <openssl/pem.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/unit/attestation/der_builder.h"
#include "tests/unit/attestation/mds_blob.h"

namespace keyward::attestation::testing {

inline std::string KeyPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);  // NOLINT(runtime/int)
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

inline std::string CrlDer(X509_CRL* crl) {
  unsigned char* der = nullptr;
  int n = i2d_X509_CRL(crl, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

// cRLDistributionPoints extnValue with one fullName URI.
inline Bytes CdpExtension(const std::string& uri) {
  Bytes u(uri.begin(), uri.end());
  return DerSeq({DerSeq({Tlv(0xa0, Tlv(0xa0, Tlv(0x86, u)))})});
}

class LocalHttpsServer {
 public:
  // Serves `dir` with a server certificate for "localhost" issued by a fresh test CA (valid
  // around the wall-clock time: curl checks it at the real time).
  explicit LocalHttpsServer(const std::filesystem::path& dir) : dir_(dir) {
    int64_t now = UnixNow();
    CertSpec ca_spec;
    ca_spec.subject = {{"CN", "keyward test TLS CA"}};
    ca_spec.ca = true;
    ca_spec.not_before = now - 86400;
    ca_spec.not_after = now + 30 * 86400;
    tls_ca_ = MakeCert(ca_spec, ca_key_.get(), ca_key_.get(), nullptr);
    CertSpec spec;
    spec.subject = {{"CN", "localhost"}};
    spec.dns_names = {"localhost"};
    spec.not_before = now - 86400;
    spec.not_after = now + 30 * 86400;
    spec.serial = 2;
    Certificate server = MakeCert(spec, server_key_.get(), ca_key_.get(), &*tls_ca_);
    std::filesystem::create_directories(dir_ / "tls");
    std::ofstream(dir_ / "tls" / "ca.pem") << ToPem(*tls_ca_);
    std::ofstream(dir_ / "tls" / "server.pem") << ToPem(server);
    std::ofstream(dir_ / "tls" / "server.key") << KeyPem(server_key_.get());
    std::filesystem::create_directories(dir_ / "www");
    Start();
  }
  ~LocalHttpsServer() { Stop(); }

  std::string tls_ca_file() const { return (dir_ / "tls" / "ca.pem").string(); }
  std::string https(const std::string& name) const {
    return "https://localhost:" + std::to_string(https_port_) + "/" + name;
  }
  std::string http(const std::string& name) const {
    return "http://127.0.0.1:" + std::to_string(http_port_) + "/" + name;
  }
  void Put(const std::string& name, const std::string& data) const {
    auto tmp = dir_ / "www" / (name + ".tmp");
    std::ofstream(tmp, std::ios::binary) << data;
    std::filesystem::rename(tmp, dir_ / "www" / name);
  }
  void Remove(const std::string& name) const { std::filesystem::remove(dir_ / "www" / name); }
  bool running() const { return https_port_ > 0; }

 private:
  void Start() {
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      close(in[1]);
      close(out[0]);
      std::string script =
          std::string(KEYWARD_SOURCE_DIR) + "/tests/unit/attestation/mds_https_server.py";
      std::string www = (dir_ / "www").string(), cert = (dir_ / "tls" / "server.pem").string(),
                  key = (dir_ / "tls" / "server.key").string();
      execl("/usr/bin/python3", "python3", script.c_str(), "--dir", www.c_str(), "--cert",
            cert.c_str(), "--key", key.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    FILE* f = fdopen(out[0], "r");
    if (f && fscanf(f, "%d %d", &https_port_, &http_port_) != 2) https_port_ = 0;  // NOLINT
    if (f) fclose(f);
  }
  void Stop() {
    if (stdin_ >= 0) close(stdin_);  // EOF on stdin stops the server
    stdin_ = -1;
    if (pid_ > 0) {
      int status = 0;
      for (int i = 0; i < 100; ++i) {  // up to 10 s, then SIGKILL
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
          pid_ = -1;
          return;
        }
        usleep(100'000);
      }
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }

  std::filesystem::path dir_;
  EvpPkeyPtr ca_key_ = GenerateEc();
  EvpPkeyPtr server_key_ = GenerateEc();
  std::optional<Certificate> tls_ca_;
  pid_t pid_ = -1;
  int stdin_ = -1;
  int https_port_ = 0;
  int http_port_ = 0;
};

}  // namespace keyward::attestation::testing

#endif  // KEYWARD_TESTS_UNIT_ATTESTATION_MDS_HTTPS_H_
