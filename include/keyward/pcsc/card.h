// A connection to the card in one reader (PC/SC Part 5 SCardConnect / SCardTransmit /
// SCardBeginTransaction), with the recovery rules keyward promises:
//  - SCARD_W_RESET_CARD (another program reset the card): reconnect, run the re-initialiser
//    (e.g. SELECT the PIV application again), retry the command once.
//  - SCARD_E_NO_SERVICE / INVALID_HANDLE (pcscd restarted): re-establish the context once, wait
//    (bounded) for the reader and the card, reconnect, re-initialise, retry once.
//  - SCARD_W_REMOVED_CARD, or a communication error (or an answer without status word) after
//    which the reader reports the card gone within 1.5 s: kPcscCardRemoved.
//  - SCARD_E_SHARING_VIOLATION on connect: bounded retry, then kPcscSharingViolation naming the
//    cause.
// After any recovery the card's security state (PIN verified, management key authenticated) is
// gone; recoveries() counts them so callers can tell.
//
// Invariant: a Card that exists holds a connected handle (until the card goes away). Not
// thread-safe: one thread per Card.
#ifndef KEYWARD_PCSC_CARD_H_
#define KEYWARD_PCSC_CARD_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "keyward/export.h"
#include "keyward/pcsc/context.h"
#include "keyward/pcsc/transceive.h"

KEYWARD_API_BEGIN

namespace keyward::pcsc {

enum class ShareMode { kShared, kExclusive };
enum class Protocol { kAny, kT0, kT1, kRaw };

struct ConnectOptions {
  ShareMode share = ShareMode::kShared;
  Protocol protocol = Protocol::kAny;  // T=0 or T=1, whichever the card offers
  int sharing_retries = 3;             // extra attempts on SCARD_E_SHARING_VIOLATION
  std::chrono::milliseconds sharing_retry_delay{200};
  std::chrono::milliseconds recovery_wait{10000};  // bound for the card to come back
};

class Card : public ApduChannel {
 public:
  static Result<std::unique_ptr<Card>> Connect(std::shared_ptr<Context> context, std::string reader,
                                               ConnectOptions options = {});
  ~Card() override;
  Card(const Card&) = delete;
  Card& operator=(const Card&) = delete;

  // One APDU on the wire, with the recovery rules above.
  Result<Bytes> TransmitRaw(ByteSpan command) override;

  // Called after every reconnect (reset / pcscd restart) before the command is retried.
  void SetReinitializer(std::function<Result<void>()> reinit) { reinit_ = std::move(reinit); }

  // SCardStatus: the ATR of the card in the reader.
  Result<Bytes> Atr();
  Protocol active_protocol() const { return protocol_; }
  const std::string& reader() const { return reader_; }
  int recoveries() const { return recoveries_; }

  // SCardReconnect; `reset` asks the reader to reset the card (SCARD_RESET_CARD).
  Result<void> Reconnect(bool reset);

  // SCardBeginTransaction / SCardEndTransaction(SCARD_LEAVE_CARD) as a scope.
  class Transaction {
   public:
    Transaction(Transaction&& o) noexcept : card_(o.card_) { o.card_ = nullptr; }
    Transaction& operator=(Transaction&&) = delete;
    ~Transaction();
    Result<void> End();

   private:
    friend class Card;
    explicit Transaction(Card* card) : card_(card) {}
    Card* card_;
  };
  Result<Transaction> BeginTransaction();

 private:
  Card(std::shared_ptr<Context> context, std::string reader, ConnectOptions options)
      : context_(std::move(context)), reader_(std::move(reader)), options_(options) {}
  Result<void> ConnectHandle();
  Result<void> RecoverService();
  Result<void> WaitForCard();
  Result<void> Reinitialize();
  Error ClassifyFailure(long rv, const char* what);
  bool CardWentAway();
  static constexpr std::chrono::milliseconds kRemovalGrace{1500};

  std::shared_ptr<Context> context_;
  std::string reader_;
  ConnectOptions options_;
  long handle_ = 0;
  bool connected_ = false;
  Protocol protocol_ = Protocol::kAny;
  std::function<Result<void>()> reinit_;
  bool in_recovery_ = false;
  uint64_t context_generation_ = 0;
  Bytes rx_;
  int recoveries_ = 0;
};

}  // namespace keyward::pcsc

KEYWARD_API_END

#endif  // KEYWARD_PCSC_CARD_H_
