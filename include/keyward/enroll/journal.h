// The enrolment journal of one card: which steps of `keyward card enroll` completed, with the
// public facts each step produced (the generated key's SubjectPublicKeyInfo, the signed request,
// the issued certificate). One JSON file per card, named by the CHUID's GUID (hex), in the
// journal directory; every change is written atomically (temporary file in the same directory,
// fsync, rename, fsync of the directory) before the next step starts, so a card pulled or a
// process killed mid-way leaves the journal at the last completed step.
//
// The journal never holds a secret: no PIN, PUK or management key, generated or not.
//
// Invariants: Load refuses a file that is not a version-1 journal for the same GUID
// (kEnrollJournalCorrupt).
#ifndef KEYWARD_ENROLL_JOURNAL_H_
#define KEYWARD_ENROLL_JOURNAL_H_

#include <string>
#include <string_view>
#include <vector>

#include "keyward/core/json.h"
#include "keyward/export.h"

KEYWARD_API_BEGIN

namespace keyward::enroll {

// Step names, in workflow order.
inline constexpr const char* kStepChuidWritten = "chuid_written";
inline constexpr const char* kStepKeyGenerationStarted = "key_generation_started";
inline constexpr const char* kStepKeyGenerated = "key_generated";
inline constexpr const char* kStepCsrSigned = "csr_signed";
inline constexpr const char* kStepCsrWritten = "csr_written";
inline constexpr const char* kStepCertificateIssued = "certificate_issued";
inline constexpr const char* kStepCertificateWritten = "certificate_written";
inline constexpr const char* kStepCccWritten = "ccc_written";
inline constexpr const char* kStepPinChanged = "pin_changed";
inline constexpr const char* kStepPukChanged = "puk_changed";
inline constexpr const char* kStepManagementKeyChanged = "management_key_changed";
inline constexpr const char* kStepLoginVerified = "login_verified";

class Journal {
 public:
  // Loads DIR/<guid>.json, or starts an empty journal for that GUID (not yet on disk).
  static Result<Journal> Open(const std::string& dir, std::string_view guid_hex);

  bool exists() const { return exists_; }
  const std::string& path() const { return path_; }
  const std::string& guid() const { return guid_; }

  // Who and what this card is being enrolled for ("" when not set yet).
  std::string username() const;
  std::string slot() const;
  std::string algorithm() const;
  bool completed() const;
  void SetSubject(std::string_view username, std::string_view slot, std::string_view algorithm);

  bool Done(std::string_view step) const;
  // The data recorded with a step (an object; empty when the step is not done).
  Json StepData(std::string_view step) const;
  // Steps done, in the order they were recorded.
  std::vector<std::string> DoneSteps() const;

  // Records `step` (with `data` and the time) and saves.
  Result<void> Mark(std::string_view step, Json data = Json::object());
  Result<void> MarkCompleted();
  // Forgets every step (a forced re-enrolment) and saves.
  Result<void> Reset();
  Result<void> Save();

 private:
  Journal() = default;
  std::string path_;
  std::string guid_;
  Json doc_;
  bool exists_ = false;
};

// Writes `data` to `path` atomically (tmp + fsync + rename + directory fsync) with `mode`.
Result<void> WriteFileAtomic(const std::string& path, std::string_view data, int mode = 0600);

// The default journal directory: $XDG_STATE_HOME/keyward/enroll or ~/.local/state/keyward/enroll.
std::string DefaultJournalDir();

}  // namespace keyward::enroll

KEYWARD_API_END

#endif  // KEYWARD_ENROLL_JOURNAL_H_
