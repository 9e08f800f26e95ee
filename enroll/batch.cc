#include "enroll/batch.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/text_lines.h"
#include "core/x509.h"
#include "pcsc/monitor.h"

namespace keyward::enroll {
namespace {

using Clock = std::chrono::steady_clock;

// Waits for a card in `reader` (any reader when empty) to be present (or absent).
Result<std::string> WaitFor(pcsc::Monitor& m, const std::string& reader, bool present,
                            std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  KW_ASSIGN_OR_RETURN(auto snap, m.Snapshot());
  for (const auto& r : snap) {
    if (!reader.empty() && r.reader != reader) continue;
    if (present && r.card_present) return r.reader;
  }
  if (!present) {
    bool any = false;
    for (const auto& r : snap) any |= r.reader == reader && r.card_present;
    if (!any) return reader;
  }
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      return Fail(ErrorCode::kPcscTimeout,
                  present ? "no card was inserted in time" : "the card was not removed in time");
    }
    auto ev = m.Wait(left);
    if (!ev) return Fail(ev.error());
    if (!reader.empty() && ev->reader != reader) continue;
    if (present && ev->type == pcsc::EventType::kCardInserted) return ev->reader;
    if (!present && (ev->type == pcsc::EventType::kCardRemoved ||
                     ev->type == pcsc::EventType::kReaderRemoved)) {
      return ev->reader;
    }
  }
}

}  // namespace

Result<std::set<std::string>> EnrolledInReport(const std::string& path) {
  std::set<std::string> out;
  std::error_code ec;
  if (path.empty() || !std::filesystem::exists(path, ec)) return out;
  KW_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path, 64 << 20));
  TextLines lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    const size_t line_no = lines.number();
    if (line.empty()) continue;
    auto j = ParseJson(line);
    if (!j || !j->is_object() || !j->contains("username") || !(*j)["username"].is_string()) {
      // A line cut short by a crash is the last one: ignore it, the card's journal knows more.
      if (lines.AtEnd()) break;
      return Fail(ErrorCode::kEnrollJournalCorrupt,
                  "report line " + std::to_string(line_no) + " is not a report object",
                  static_cast<uint32_t>(line_no));
    }
    if (j->value("status", std::string()) == "enrolled") {
      out.insert((*j)["username"].get<std::string>());
    }
  }
  return out;
}

Result<void> AppendReportLine(const std::string& path, const Json& line) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return Fail(ErrorCode::kIo, std::string("report: ") + std::strerror(errno));
  std::string text = line.dump() + "\n";
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = write(fd, text.data() + off, text.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      close(fd);
      return Fail(ErrorCode::kIo, "report write");
    }
    off += static_cast<size_t>(n);
  }
  bool ok = fsync(fd) == 0;
  ok = close(fd) == 0 && ok;
  if (!ok) return Fail(ErrorCode::kIo, "report fsync");
  return Ok();
}

Result<BatchResult> RunBatch(const BatchOptions& o) {
  auto say = [&](const std::string& s) {
    if (o.say) o.say(s);
  };
  KW_ASSIGN_OR_RETURN(std::set<std::string> enrolled, EnrolledInReport(o.report_path));
  BatchResult result;
  result.progress.total = o.users.size();
  std::vector<const UserRecord*> pending;
  for (const auto& u : o.users) {
    if (enrolled.count(u.username)) {
      ++result.progress.done;
      ++result.skipped;
    } else {
      pending.push_back(&u);
    }
  }
  result.progress.left = pending.size();
  if (result.skipped) {
    say(std::to_string(result.skipped) + " already enrolled according to the report: skipped");
  }
  if (o.progress) o.progress(result.progress);
  KW_ASSIGN_OR_RETURN(auto monitor, pcsc::Monitor::Create());
  size_t index = 0;
  for (const UserRecord* u : pending) {
    ++index;
    say("insert the card for " + u->username + " (" + std::to_string(index) + " of " +
        std::to_string(pending.size()) + ")");
    KW_ASSIGN_OR_RETURN(std::string reader, WaitFor(*monitor, o.base.reader, true, o.card_timeout));
    EnrollOptions eo = o.base;
    eo.user = *u;
    eo.reader = reader;
    EnrollReport rep = Enroll(eo);
    bool ok = !rep.error && rep.completed;
    Json line = ReportToJson(rep);
    line["status"] = ok ? "enrolled" : "failed";
    line["at"] = UnixNow();
    if (!o.report_path.empty()) KW_TRY(AppendReportLine(o.report_path, line));
    if (o.report_line) o.report_line(line);
    if (rep.generated.any() && o.generated) o.generated(*u, rep);
    if (o.finished) o.finished(rep);
    --result.progress.left;
    if (ok) {
      ++result.progress.done;
      say(u->username + ": enrolled, login PASS");
    } else {
      ++result.progress.failed;
      say(u->username + ": FAILED (" +
          std::string(ErrorCodeName(rep.error ? rep.error->code : ErrorCode::kInternal)) + ")");
    }
    if (o.progress) o.progress(result.progress);
    say("remove the card");
    KW_TRY(WaitFor(*monitor, reader, false, o.removal_timeout));
  }
  return result;
}

}  // namespace keyward::enroll
