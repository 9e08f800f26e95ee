#include "enroll/journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "core/x509.h"

namespace keyward::enroll {
namespace {

bool IsHex(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

Result<void> WriteFileAtomic(const std::string& path, std::string_view data, int mode) {
  std::filesystem::path p(path);
  std::filesystem::path dir = p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
  std::string tmp = (dir / ("." + p.filename().string() + ".tmp.XXXXXX")).string();
  int fd = mkstemp(tmp.data());
  if (fd < 0) return Fail(ErrorCode::kIo, std::string("mkstemp: ") + std::strerror(errno));
  fchmod(fd, static_cast<mode_t>(mode));
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      close(fd);
      unlink(tmp.c_str());
      return Fail(ErrorCode::kIo, std::string("write: ") + std::strerror(errno));
    }
    off += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    unlink(tmp.c_str());
    return Fail(ErrorCode::kIo, "fsync");
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    unlink(tmp.c_str());
    return Fail(ErrorCode::kIo, std::string("rename: ") + std::strerror(e));
  }
  int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return Ok();
}

std::string DefaultJournalDir() {
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x) {
    return std::string(x) + "/keyward/enroll";
  }
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.local/state/keyward/enroll";
}

Result<Journal> Journal::Open(const std::string& dir, std::string_view guid_hex) {
  if (!IsHex(guid_hex)) return Fail(ErrorCode::kInvalidArgument, "journal key must be lower hex");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Fail(ErrorCode::kIo, "journal directory: " + ec.message());
  Journal j;
  j.guid_ = std::string(guid_hex);
  j.path_ = dir + "/" + j.guid_ + ".json";
  if (!std::filesystem::exists(j.path_, ec)) {
    j.doc_ = {{"version", 1}, {"guid", j.guid_}, {"steps", Json::array()}, {"completed", false}};
    return j;
  }
  KW_ASSIGN_OR_RETURN(std::string text, ReadFileToString(j.path_, 4 << 20));
  auto doc = ParseJson(text, JsonLimits{16, 4 << 20});
  if (!doc || !doc->is_object() || doc->value("version", 0) != 1 ||
      doc->value("guid", std::string()) != j.guid_ || !doc->contains("steps") ||
      !(*doc)["steps"].is_array()) {
    return Fail(ErrorCode::kEnrollJournalCorrupt, "journal " + j.path_ + " is not readable");
  }
  for (const Json& s : (*doc)["steps"]) {
    if (!s.is_object() || !s.contains("step") || !s["step"].is_string()) {
      return Fail(ErrorCode::kEnrollJournalCorrupt, "journal " + j.path_ + ": bad step entry");
    }
  }
  j.doc_ = std::move(*doc);
  j.exists_ = true;
  return j;
}

std::string Journal::username() const { return doc_.value("username", std::string()); }
std::string Journal::slot() const { return doc_.value("slot", std::string()); }
std::string Journal::algorithm() const { return doc_.value("algorithm", std::string()); }
bool Journal::completed() const { return doc_.value("completed", false); }

void Journal::SetSubject(std::string_view username, std::string_view slot,
                         std::string_view algorithm) {
  doc_["username"] = std::string(username);
  doc_["slot"] = std::string(slot);
  doc_["algorithm"] = std::string(algorithm);
}

bool Journal::Done(std::string_view step) const {
  for (const Json& s : doc_["steps"]) {
    if (s["step"].get<std::string>() == step) return true;
  }
  return false;
}

Json Journal::StepData(std::string_view step) const {
  for (const Json& s : doc_["steps"]) {
    if (s["step"].get<std::string>() == step) return s.value("data", Json::object());
  }
  return Json::object();
}

std::vector<std::string> Journal::DoneSteps() const {
  std::vector<std::string> out;
  for (const Json& s : doc_["steps"]) out.push_back(s["step"].get<std::string>());
  return out;
}

Result<void> Journal::Mark(std::string_view step, Json data) {
  doc_["steps"].push_back({{"step", std::string(step)}, {"at", UnixNow()}, {"data", data}});
  return Save();
}

Result<void> Journal::MarkCompleted() {
  doc_["completed"] = true;
  doc_["completed_at"] = UnixNow();
  return Save();
}

Result<void> Journal::Reset() {
  Json prior = doc_.value("resets", Json::array());
  prior.push_back({{"at", UnixNow()}, {"username", username()}, {"steps", DoneSteps()}});
  doc_ = {{"version", 1},
          {"guid", guid_},
          {"steps", Json::array()},
          {"completed", false},
          {"resets", prior}};
  return Save();
}

Result<void> Journal::Save() {
  KW_TRY(WriteFileAtomic(path_, doc_.dump(1) + "\n", 0600));
  exists_ = true;
  return Ok();
}

}  // namespace keyward::enroll
