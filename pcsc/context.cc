#include "pcsc/context.h"

#include <PCSC/winscard.h>

#include "pcsc/scard_error.h"

namespace keyward::pcsc {

static_assert(sizeof(SCARDCONTEXT) == sizeof(long));

bool IsServiceLost(long rv) {
  return rv == SCARD_E_NO_SERVICE || rv == SCARD_E_SERVICE_STOPPED ||
         rv == SCARD_E_INVALID_HANDLE;
}

Result<std::shared_ptr<Context>> Context::Establish() {
  SCARDCONTEXT h = 0;
  LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &h);
  if (rv != SCARD_S_SUCCESS) return Fail(ScardError(rv, "SCardEstablishContext"));
  return std::shared_ptr<Context>(new Context(h));
}

Context::~Context() {
  SCardReleaseContext(handle_.load());
}

bool Context::IsValid() const { return SCardIsValidContext(handle_.load()) == SCARD_S_SUCCESS; }

Result<void> Context::Reestablish() {
  SCardReleaseContext(handle_.load());
  SCARDCONTEXT h = 0;
  LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &h);
  if (rv != SCARD_S_SUCCESS) {
    handle_ = 0;
    return Fail(ScardError(rv, "SCardEstablishContext (re-establish)"));
  }
  handle_ = h;
  ++generation_;
  return Ok();
}

Result<void> Context::Cancel() {
  LONG rv = SCardCancel(handle_.load());
  if (rv != SCARD_S_SUCCESS) return Fail(ScardError(rv, "SCardCancel"));
  return Ok();
}

Result<std::vector<std::string>> Context::ListReaders() {
  for (int attempt = 0; attempt < 2; ++attempt) {
    DWORD len = 0;
    LONG rv = SCardListReaders(handle_.load(), nullptr, nullptr, &len);
    std::string buf;
    if (rv == SCARD_S_SUCCESS) {
      buf.resize(len);
      rv = SCardListReaders(handle_.load(), nullptr, buf.data(), &len);
    }
    if (rv == SCARD_E_NO_READERS_AVAILABLE) return std::vector<std::string>{};
    if (attempt == 0 && (IsServiceLost(rv) || !IsValid())) {
      KW_TRY(Reestablish());
      continue;
    }
    if (rv != SCARD_S_SUCCESS) return Fail(ScardError(rv, "SCardListReaders"));
    std::vector<std::string> out;
    size_t pos = 0;
    buf.resize(std::min<size_t>(len, buf.size()));
    while (pos < buf.size() && buf[pos] != '\0') {
      size_t end = buf.find('\0', pos);
      if (end == std::string::npos) end = buf.size();
      out.push_back(buf.substr(pos, end - pos));
      pos = end + 1;
    }
    return out;
  }
  return Fail(ErrorCode::kPcscNoService, "SCardListReaders: service lost twice");
}

}  // namespace keyward::pcsc
