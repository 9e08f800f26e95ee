#include "pcsc/card.h"

#include <PCSC/winscard.h>

#include <thread>

#include "pcsc/scard_error.h"

namespace keyward::pcsc {
namespace {

DWORD PreferredProtocols(Protocol p) {
  switch (p) {
    case Protocol::kT0: return SCARD_PROTOCOL_T0;
    case Protocol::kT1: return SCARD_PROTOCOL_T1;
    case Protocol::kRaw: return SCARD_PROTOCOL_RAW;
    case Protocol::kAny: break;
  }
  return SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1;
}

Protocol FromActive(DWORD p) {
  if (p == SCARD_PROTOCOL_T0) return Protocol::kT0;
  if (p == SCARD_PROTOCOL_T1) return Protocol::kT1;
  if (p == SCARD_PROTOCOL_RAW) return Protocol::kRaw;
  return Protocol::kAny;
}

const SCARD_IO_REQUEST* Pci(Protocol p) {
  switch (p) {
    case Protocol::kT0: return SCARD_PCI_T0;
    case Protocol::kT1: return SCARD_PCI_T1;
    case Protocol::kRaw: return SCARD_PCI_RAW;
    case Protocol::kAny: break;
  }
  return SCARD_PCI_T1;
}

}  // namespace

Result<std::unique_ptr<Card>> Card::Connect(std::shared_ptr<Context> context, std::string reader,
                                            ConnectOptions options) {
  std::unique_ptr<Card> card(new Card(std::move(context), std::move(reader), options));
  KW_TRY(card->ConnectHandle());
  return card;
}

Card::~Card() {
  if (connected_) SCardDisconnect(handle_, SCARD_LEAVE_CARD);
}

Result<void> Card::ConnectHandle() {
  DWORD share = options_.share == ShareMode::kExclusive ? SCARD_SHARE_EXCLUSIVE : SCARD_SHARE_SHARED;
  for (int attempt = 0;; ++attempt) {
    SCARDHANDLE h = 0;
    DWORD active = 0;
    LONG rv = SCardConnect(context_->handle(), reader_.c_str(), share,
                           PreferredProtocols(options_.protocol), &h, &active);
    if (rv == SCARD_S_SUCCESS) {
      handle_ = h;
      connected_ = true;
      context_generation_ = context_->generation();
      protocol_ = FromActive(active);
      return Ok();
    }
    if (rv == SCARD_E_SHARING_VIOLATION && attempt < options_.sharing_retries) {
      std::this_thread::sleep_for(options_.sharing_retry_delay);
      continue;
    }
    return Fail(ScardError(rv, "SCardConnect(" + reader_ + ")"));
  }
}

Result<void> Card::Reconnect(bool reset) {
  DWORD share = options_.share == ShareMode::kExclusive ? SCARD_SHARE_EXCLUSIVE : SCARD_SHARE_SHARED;
  DWORD active = 0;
  for (int attempt = 0;; ++attempt) {
    LONG rv = SCardReconnect(handle_, share, PreferredProtocols(options_.protocol),
                             reset ? SCARD_RESET_CARD : SCARD_LEAVE_CARD, &active);
    if (rv == SCARD_S_SUCCESS) {
      protocol_ = FromActive(active);
      return Ok();
    }
    if (rv == SCARD_E_SHARING_VIOLATION && attempt < options_.sharing_retries) {
      std::this_thread::sleep_for(options_.sharing_retry_delay);
      continue;
    }
    return Fail(ClassifyFailure(rv, "SCardReconnect"));
  }
}

Result<void> Card::Reinitialize() {
  ++recoveries_;
  if (!reinit_) return Ok();
  in_recovery_ = true;
  auto r = reinit_();
  in_recovery_ = false;
  return r;
}

Result<void> Card::WaitForCard() {
  auto deadline = std::chrono::steady_clock::now() + options_.recovery_wait;
  SCARD_READERSTATE rs{};
  rs.szReader = reader_.c_str();
  rs.dwCurrentState = SCARD_STATE_UNAWARE;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Fail(ErrorCode::kPcscNoCard, "card did not come back in time");
    LONG rv = SCardGetStatusChange(context_->handle(), static_cast<DWORD>(left.count()), &rs, 1);
    if (rv == SCARD_E_TIMEOUT) {
      return Fail(ScardError(rv, "waiting for the card after pcscd restarted"));
    }
    if (rv == SCARD_S_SUCCESS && (rs.dwEventState & SCARD_STATE_PRESENT) &&
        !(rs.dwEventState & SCARD_STATE_MUTE)) {
      return Ok();
    }
    if (rv == SCARD_E_UNKNOWN_READER || rv == SCARD_E_READER_UNAVAILABLE) {
      // The reader is not (yet) known to the new pcscd: poll.
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      rs.dwCurrentState = SCARD_STATE_UNAWARE;
      continue;
    }
    if (rv != SCARD_S_SUCCESS) return Fail(ScardError(rv, "SCardGetStatusChange"));
    rs.dwCurrentState = rs.dwEventState;
  }
}

Result<void> Card::RecoverService() {
  if (connected_) SCardDisconnect(handle_, SCARD_LEAVE_CARD);
  connected_ = false;
  // Re-establish once, unless another user of the shared context already did.
  if (context_->generation() == context_generation_) KW_TRY(context_->Reestablish());
  context_generation_ = context_->generation();
  KW_TRY(WaitForCard());
  KW_TRY(ConnectHandle());
  return Reinitialize();
}

Error Card::ClassifyFailure(long rv, const char* what) {
  if (rv == SCARD_E_NOT_TRANSACTED || rv == SCARD_E_COMM_DATA_LOST || rv == SCARD_F_COMM_ERROR ||
      rv == SCARD_W_UNRESPONSIVE_CARD || rv == SCARD_W_UNPOWERED_CARD ||
      rv == SCARD_E_NO_SMARTCARD || rv == SCARD_S_SUCCESS) {
    if (CardWentAway()) {
      return ScardError(SCARD_W_REMOVED_CARD, std::string(what) + " (after " + ScardName(rv) + ")");
    }
  }
  if (rv == SCARD_S_SUCCESS) {
    return Error{ErrorCode::kPcscCommError, 0, std::string(what) + ": answer without status word"};
  }
  return ScardError(rv, what);
}

bool Card::CardWentAway() {
  DWORD state = 0, proto = 0, atr_len = MAX_ATR_SIZE, name_len = 0;
  BYTE atr[MAX_ATR_SIZE];
  LONG st = SCardStatus(handle_, nullptr, &name_len, &state, &proto, atr, &atr_len);
  if (st == SCARD_W_REMOVED_CARD || st == SCARD_E_NO_SMARTCARD ||
      (st == SCARD_S_SUCCESS && (state & SCARD_ABSENT))) {
    return true;
  }
  // The reader polls for presence (pcscd: every ~0.4 s): give it a bounded moment to notice.
  SCARD_READERSTATE rs{};
  rs.szReader = reader_.c_str();
  rs.dwCurrentState = SCARD_STATE_UNAWARE;
  auto deadline = std::chrono::steady_clock::now() + kRemovalGrace;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    LONG rv = SCardGetStatusChange(context_->handle(), static_cast<DWORD>(left.count()), &rs, 1);
    if (rv != SCARD_S_SUCCESS) return false;
    if (rs.dwEventState & SCARD_STATE_EMPTY) return true;
    rs.dwCurrentState = rs.dwEventState;
  }
  return false;
}

Result<Bytes> Card::TransmitRaw(ByteSpan command) {
  for (int attempt = 0;; ++attempt) {
    if (!connected_) {
      if (in_recovery_ || attempt > 0) return Fail(ErrorCode::kPcscCommError, "not connected");
      KW_TRY(RecoverService());
    }
    Bytes response(65536 + 2);
    DWORD len = static_cast<DWORD>(response.size());
    SCARD_IO_REQUEST recv_pci{};
    LONG rv = SCardTransmit(handle_, Pci(protocol_), command.data(),
                            static_cast<DWORD>(command.size()), &recv_pci, response.data(), &len);
    if (rv == SCARD_S_SUCCESS && len >= 2) {
      response.resize(len);
      return response;
    }
    if (rv == SCARD_S_SUCCESS) return Fail(ClassifyFailure(rv, "SCardTransmit"));
    if (attempt == 0 && !in_recovery_) {
      if (rv == SCARD_W_RESET_CARD) {
        KW_TRY(Reconnect(false));
        KW_TRY(Reinitialize());
        continue;
      }
      if (IsServiceLost(rv)) {
        KW_TRY(RecoverService());
        continue;
      }
    }
    if (IsServiceLost(rv)) connected_ = false;
    return Fail(ClassifyFailure(rv, "SCardTransmit"));
  }
}

Result<Bytes> Card::Atr() {
  DWORD state = 0, proto = 0, atr_len = MAX_ATR_SIZE, name_len = 0;
  BYTE atr[MAX_ATR_SIZE];
  LONG rv = SCardStatus(handle_, nullptr, &name_len, &state, &proto, atr, &atr_len);
  if (rv == SCARD_W_RESET_CARD) {
    KW_TRY(Reconnect(false));
    KW_TRY(Reinitialize());
    atr_len = MAX_ATR_SIZE;
    rv = SCardStatus(handle_, nullptr, &name_len, &state, &proto, atr, &atr_len);
  }
  if (rv != SCARD_S_SUCCESS) return Fail(ScardError(rv, "SCardStatus"));
  return Bytes(atr, atr + atr_len);
}

Result<Card::Transaction> Card::BeginTransaction() {
  LONG rv = SCardBeginTransaction(handle_);
  if (rv == SCARD_W_RESET_CARD && !in_recovery_) {
    KW_TRY(Reconnect(false));
    KW_TRY(Reinitialize());
    rv = SCardBeginTransaction(handle_);
  } else if (IsServiceLost(rv) && !in_recovery_) {
    KW_TRY(RecoverService());
    rv = SCardBeginTransaction(handle_);
  }
  if (rv != SCARD_S_SUCCESS) return Fail(ClassifyFailure(rv, "SCardBeginTransaction"));
  return Transaction(this);
}

Result<void> Card::Transaction::End() {
  if (!card_) return Ok();
  Card* c = card_;
  card_ = nullptr;
  LONG rv = SCardEndTransaction(c->handle_, SCARD_LEAVE_CARD);
  if (rv != SCARD_S_SUCCESS) return Fail(ScardError(rv, "SCardEndTransaction"));
  return Ok();
}

Card::Transaction::~Transaction() {
  if (card_) SCardEndTransaction(card_->handle_, SCARD_LEAVE_CARD);
}

}  // namespace keyward::pcsc
