// `keyward card enroll --batch users.csv`: enrols one card per person of a users CSV
// (users_csv.h). For each person not yet enrolled: wait (bounded) for a card to be inserted
// (keyward::pcsc::Monitor), enrol it (enrollment.h) with the shared options, append one JSON
// report line, ask for the card's removal, wait (bounded) until it is gone, move on. A failed
// card is reported (status "failed" with its error code) and the batch moves on to the next
// person.
//
// Resume: the report file is read first; every person with a line of status "enrolled" is
// skipped, so an interrupted batch run again never enrols anyone twice (the card journals add a
// second guard: a card already enrolled for someone is refused with
// enroll_card_already_enrolled). People whose card failed are tried again.
#ifndef KEYWARD_ENROLL_BATCH_H_
#define KEYWARD_ENROLL_BATCH_H_

#include <chrono>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "keyward/enroll/enrollment.h"
#include "keyward/enroll/users_csv.h"
#include "keyward/export.h"

KEYWARD_API_BEGIN

namespace keyward::enroll {

struct BatchProgress {
  size_t total = 0, done = 0, failed = 0, left = 0;
};

struct BatchOptions {
  std::vector<UserRecord> users;
  EnrollOptions base;       // everything but the user (and the reader, when empty)
  std::string report_path;  // append; empty: `report_line` only
  std::chrono::milliseconds card_timeout{std::chrono::minutes(5)};
  std::chrono::milliseconds removal_timeout{std::chrono::minutes(5)};

  // Terminal output: prompts and the progress line.
  std::function<void(const std::string& message)> say;
  std::function<void(const BatchProgress&)> progress;
  // One JSON object per card (also appended to report_path).
  std::function<void(const Json& line)> report_line;
  // Called with every card's report, enrolled or failed (e.g. to audit-log it).
  std::function<void(const EnrollReport&)> finished;
  // Secrets generated for a card (printed once by the caller; never in the report).
  std::function<void(const UserRecord&, const EnrollReport&)> generated;
};

struct BatchResult {
  BatchProgress progress;
  size_t skipped = 0;  // already enrolled according to the report
};

// The usernames with status "enrolled" in an existing report file (none if it does not exist).
// kEnrollJournalCorrupt for a line that is not a report object.
Result<std::set<std::string>> EnrolledInReport(const std::string& report_path);

// Appends one line to the report (O_APPEND + fsync).
Result<void> AppendReportLine(const std::string& path, const Json& line);

// Runs the batch; kPcscTimeout when no card came (or was not removed) in time.
Result<BatchResult> RunBatch(const BatchOptions& options);

}  // namespace keyward::enroll

KEYWARD_API_END

#endif  // KEYWARD_ENROLL_BATCH_H_
