// The batch enrolment list: a small, strict CSV (RFC 4180 subset), one person per row.
//
//   username,display_name,upn,email,sid
//   alice,Alice Example,alice@corp.example,alice@corp.example,S-1-5-21-1-2-3-1104
//
// Rules: the first line is the header; it names `username` and any of display_name, upn, email,
// sid, each at most once, in any order. Every row has exactly as many fields as the header.
// Fields may be quoted ("a, b" and "" for a quote); a quoted field cannot span lines. LF or CRLF
// line ends; a UTF-8 BOM at the start is skipped; blank lines are ignored. Limits: 1 MiB, 1024
// bytes per line, 10 000 rows. Each row must be a valid UserRecord (profile.h) and usernames are
// unique.
//
// Errors carry the 1-based line number in Error::native: kEnrollCsvMalformed (structure, limits,
// duplicates), kEnrollUserInvalid / kEnrollSidInvalid (a row's values).
#ifndef KEYWARD_ENROLL_USERS_CSV_H_
#define KEYWARD_ENROLL_USERS_CSV_H_

#include <string>
#include <string_view>
#include <vector>

#include "keyward/enroll/profile.h"
#include "keyward/export.h"

KEYWARD_API_BEGIN

namespace keyward::enroll {

inline constexpr size_t kMaxCsvBytes = 1 << 20;
inline constexpr size_t kMaxCsvLine = 1024;
inline constexpr size_t kMaxCsvRows = 10000;

// One CSV line split into fields (no line terminator inside `line`).
Result<std::vector<std::string>> SplitCsvLine(std::string_view line);

Result<std::vector<UserRecord>> ParseUsersCsv(std::string_view text);
Result<std::vector<UserRecord>> LoadUsersCsv(const std::string& path);

}  // namespace keyward::enroll

KEYWARD_API_END

#endif  // KEYWARD_ENROLL_USERS_CSV_H_
