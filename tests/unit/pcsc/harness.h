// Test harness for PC/SC end-to-end tests run under scripts/with-pcscd: child processes (the
// software card, a replacement pcscd) started and reaped by PID, waits for card presence, and a
// throwaway X.509 certificate for a card's public key.
#ifndef KEYWARD_TESTS_UNIT_PCSC_HARNESS_H_
#define KEYWARD_TESTS_UNIT_PCSC_HARNESS_H_

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/openssl_util.h"
#include "keyward/result.h"

namespace keyward::pcsc::testing {

// A child process, stopped (SIGTERM) and reaped on destruction.
class ChildProcess {
 public:
  ChildProcess() = default;
  static Result<ChildProcess> Spawn(const std::vector<std::string>& argv);
  ChildProcess(ChildProcess&& o) noexcept : pid_(o.pid_) { o.pid_ = -1; }
  ChildProcess& operator=(ChildProcess&& o) noexcept;
  ~ChildProcess() { Stop(); }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  // SIGTERM + waitpid; returns the wait status (or -1 when nothing runs).
  int Stop();
  // waitpid without signalling, bounded; -1 on timeout (the child keeps running).
  int Wait(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
};

// A temporary directory removed (with its files) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string SoftPivBinary();
int VpcdPort();
// The reader the software card appears in ("Virtual PCD 00 00").
std::string SoftReader();

// Starts keyward-softpiv on `state` (plus extra arguments).
Result<ChildProcess> StartSoftCard(const std::string& state,
                                   const std::vector<std::string>& extra = {});
// Waits until the software reader shows a card (present = true) or none, bounded by `timeout`.
Result<void> WaitForCard(bool present,
                         std::chrono::milliseconds timeout = std::chrono::seconds(15));

// Stops the pcscd the wrapper started (SIGTERM, reaped by the wrapper) and waits for its socket to
// go away.
Result<void> StopWrapperPcscd();
// Starts a pcscd of our own with the wrapper's reader configuration (or `config_dir`) and waits
// for its socket.
Result<ChildProcess> StartPcscd(const std::string& config_dir = "");

// A certificate for `subject_key` (subject CN=`cn`) signed by a throwaway P-256 issuer.
Result<Bytes> MakeCertificate(EVP_PKEY* subject_key, const std::string& cn);

// On the software card in SoftReader() (default management key): an EC P-256 key generated in
// 9A, a certificate for it with subject CN=holder_cn written there (compressed when asked), and
// then one wrong PIN presented (2 tries left), so status and info have something to show.
Result<void> ProvisionAuthenticationSlot(const std::string& holder_cn, bool compress);

// Runs a shell command, returns its exit status and captures stdout+stderr.
int RunCommand(const std::string& command, std::string* output);

}  // namespace keyward::pcsc::testing

#endif  // KEYWARD_TESTS_UNIT_PCSC_HARNESS_H_
