#include "pcsc/scard_error.h"

#include <PCSC/winscard.h>

#include <cstdio>

namespace keyward::pcsc {

std::string ScardName(long rv) {
  switch (rv) {
#define KW_SCARD_NAME(x) \
  case x:                \
    return #x;
    KW_SCARD_NAME(SCARD_S_SUCCESS)
    KW_SCARD_NAME(SCARD_E_CANCELLED)
    KW_SCARD_NAME(SCARD_E_INVALID_HANDLE)
    KW_SCARD_NAME(SCARD_E_INVALID_PARAMETER)
    KW_SCARD_NAME(SCARD_E_NO_MEMORY)
    KW_SCARD_NAME(SCARD_E_INSUFFICIENT_BUFFER)
    KW_SCARD_NAME(SCARD_E_UNKNOWN_READER)
    KW_SCARD_NAME(SCARD_E_TIMEOUT)
    KW_SCARD_NAME(SCARD_E_SHARING_VIOLATION)
    KW_SCARD_NAME(SCARD_E_NO_SMARTCARD)
    KW_SCARD_NAME(SCARD_E_PROTO_MISMATCH)
    KW_SCARD_NAME(SCARD_E_NOT_READY)
    KW_SCARD_NAME(SCARD_E_INVALID_VALUE)
    KW_SCARD_NAME(SCARD_E_NOT_TRANSACTED)
    KW_SCARD_NAME(SCARD_E_READER_UNAVAILABLE)
    KW_SCARD_NAME(SCARD_E_NO_SERVICE)
    KW_SCARD_NAME(SCARD_E_SERVICE_STOPPED)
    KW_SCARD_NAME(SCARD_E_UNEXPECTED)
    KW_SCARD_NAME(SCARD_E_NO_READERS_AVAILABLE)
    KW_SCARD_NAME(SCARD_E_COMM_DATA_LOST)
    KW_SCARD_NAME(SCARD_F_COMM_ERROR)
    KW_SCARD_NAME(SCARD_F_INTERNAL_ERROR)
    KW_SCARD_NAME(SCARD_W_UNRESPONSIVE_CARD)
    KW_SCARD_NAME(SCARD_W_UNPOWERED_CARD)
    KW_SCARD_NAME(SCARD_W_RESET_CARD)
    KW_SCARD_NAME(SCARD_W_REMOVED_CARD)
#undef KW_SCARD_NAME
    default: break;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "SCARD_0x%08lX", static_cast<unsigned long>(rv) & 0xffffffffUL);
  return buf;
}

Error ScardError(long rv, std::string what) {
  ErrorCode code = ErrorCode::kPcscInternal;
  switch (rv) {
    case SCARD_E_NO_SERVICE:
    case SCARD_E_SERVICE_STOPPED: code = ErrorCode::kPcscNoService; break;
    case SCARD_E_NO_READERS_AVAILABLE: code = ErrorCode::kPcscNoReaders; break;
    case SCARD_E_READER_UNAVAILABLE: code = ErrorCode::kPcscReaderUnavailable; break;
    case SCARD_E_UNKNOWN_READER: code = ErrorCode::kPcscReaderNotFound; break;
    case SCARD_E_NO_SMARTCARD: code = ErrorCode::kPcscNoCard; break;
    case SCARD_W_REMOVED_CARD: code = ErrorCode::kPcscCardRemoved; break;
    case SCARD_W_RESET_CARD: code = ErrorCode::kPcscCardReset; break;
    case SCARD_E_SHARING_VIOLATION: code = ErrorCode::kPcscSharingViolation; break;
    case SCARD_E_TIMEOUT: code = ErrorCode::kPcscTimeout; break;
    case SCARD_E_CANCELLED: code = ErrorCode::kPcscCancelled; break;
    case SCARD_E_PROTO_MISMATCH: code = ErrorCode::kPcscProtocolMismatch; break;
    case SCARD_E_NOT_TRANSACTED:
    case SCARD_E_COMM_DATA_LOST:
    case SCARD_F_COMM_ERROR:
    case SCARD_W_UNRESPONSIVE_CARD:
    case SCARD_W_UNPOWERED_CARD: code = ErrorCode::kPcscCommError; break;
    default: break;
  }
  std::string detail = std::move(what);
  detail += ": ";
  detail += ScardName(rv);
  if (code == ErrorCode::kPcscSharingViolation) {
    detail += " (another program holds the reader or card exclusively)";
  } else if (code == ErrorCode::kPcscNoService) {
    detail += std::string(" (") + kStartPcscdHint + ")";
  }
  return Error{code, static_cast<uint32_t>(rv), std::move(detail)};
}

}  // namespace keyward::pcsc
