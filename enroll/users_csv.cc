#include "enroll/users_csv.h"

#include <map>
#include <set>

#include "core/text_lines.h"
#include "core/x509.h"

namespace keyward::enroll {
namespace {

Unexpected AtLine(ErrorCode code, std::string detail, size_t line) {
  return Fail(code, "line " + std::to_string(line) + ": " + detail, static_cast<uint32_t>(line));
}

}  // namespace

Result<std::vector<std::string>> SplitCsvLine(std::string_view line) {
  std::vector<std::string> fields;
  std::string cur;
  size_t i = 0;
  while (true) {
    cur.clear();
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (true) {
        if (i >= line.size()) return Fail(ErrorCode::kEnrollCsvMalformed, "unterminated quote");
        char c = line[i++];
        if (c == '"') {
          if (i < line.size() && line[i] == '"') {
            cur.push_back('"');
            ++i;
            continue;
          }
          break;
        }
        cur.push_back(c);
      }
      if (i < line.size() && line[i] != ',') {
        return Fail(ErrorCode::kEnrollCsvMalformed, "text after a closing quote");
      }
    } else {
      while (i < line.size() && line[i] != ',') {
        if (line[i] == '"') return Fail(ErrorCode::kEnrollCsvMalformed, "quote inside a field");
        cur.push_back(line[i++]);
      }
    }
    for (char c : cur) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
        return Fail(ErrorCode::kEnrollCsvMalformed, "control character in a field");
      }
    }
    fields.push_back(cur);
    if (i >= line.size()) break;
    ++i;  // the comma
    if (fields.size() > 16) return Fail(ErrorCode::kEnrollCsvMalformed, "too many fields");
  }
  return fields;
}

Result<std::vector<UserRecord>> ParseUsersCsv(std::string_view text) {
  if (text.size() > kMaxCsvBytes) return Fail(ErrorCode::kEnrollCsvMalformed, "file over 1 MiB");
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<std::string> header;
  std::map<std::string, size_t> column;
  std::vector<UserRecord> out;
  std::set<std::string> seen;
  TextLines lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    const size_t line_no = lines.number();
    if (line.size() > kMaxCsvLine) {
      return AtLine(ErrorCode::kEnrollCsvMalformed, "line longer than 1024 bytes", line_no);
    }
    if (line.find('\r') != std::string_view::npos) {
      return AtLine(ErrorCode::kEnrollCsvMalformed, "bare CR", line_no);
    }
    if (line.empty()) continue;
    auto fields = SplitCsvLine(line);
    if (!fields) return AtLine(fields.error().code, fields.error().detail, line_no);
    if (header.empty()) {
      static const std::set<std::string> kKnown = {"username", "display_name", "upn", "email",
                                                   "sid"};
      for (size_t i = 0; i < fields->size(); ++i) {
        const std::string& name = (*fields)[i];
        if (!kKnown.count(name)) {
          return AtLine(ErrorCode::kEnrollCsvMalformed, "unknown column '" + name + "'", line_no);
        }
        if (!column.emplace(name, i).second) {
          return AtLine(ErrorCode::kEnrollCsvMalformed, "duplicate column " + name, line_no);
        }
      }
      if (!column.count("username")) {
        return AtLine(ErrorCode::kEnrollCsvMalformed, "header has no username column", line_no);
      }
      header = std::move(*fields);
      continue;
    }
    if (fields->size() != header.size()) {
      return AtLine(ErrorCode::kEnrollCsvMalformed,
                    "expected " + std::to_string(header.size()) + " fields", line_no);
    }
    if (out.size() >= kMaxCsvRows) {
      return AtLine(ErrorCode::kEnrollCsvMalformed, "more than 10000 rows", line_no);
    }
    auto get = [&](const char* name) -> std::string {
      auto it = column.find(name);
      return it == column.end() ? std::string() : (*fields)[it->second];
    };
    UserRecord u{get("username"), get("display_name"), get("upn"), get("email"), get("sid")};
    if (auto ok = ValidateUserRecord(u); !ok) {
      return AtLine(ok.error().code, ok.error().detail, line_no);
    }
    if (u.upn.empty() && u.email.empty()) {
      return AtLine(ErrorCode::kEnrollUserInvalid, "needs a upn or an email", line_no);
    }
    if (!seen.insert(u.username).second) {
      return AtLine(ErrorCode::kEnrollCsvMalformed, "duplicate username " + u.username, line_no);
    }
    out.push_back(std::move(u));
  }
  if (header.empty()) return Fail(ErrorCode::kEnrollCsvMalformed, "no header line", 1);
  return out;
}

Result<std::vector<UserRecord>> LoadUsersCsv(const std::string& path) {
  KW_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path, kMaxCsvBytes + 1));
  return ParseUsersCsv(text);
}

}  // namespace keyward::enroll
