// The software PIV card's command processor: NIST SP 800-73-4 Part 2 card commands (SELECT, GET
// DATA, VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER, GENERAL AUTHENTICATE, GENERATE
// ASYMMETRIC KEY PAIR, PUT DATA) plus ISO 7816-4 GET RESPONSE and command chaining, answering
// like a real card: data beyond Le is served through 61xx + GET RESPONSE, PIN counters block at 0
// (6983), the management key (9B) must be authenticated before GENERATE and PUT DATA, the PIN
// before 9A/9C/9D signatures (9C: PIN always, i.e. VERIFY immediately before).
//
// YubiKey-compatible vendor extensions: SET MANAGEMENT KEY (INS FF, P1 FF, P2 FF, data
// `<alg> 9B <len> <key>`, needs the current management key; 3DES and AES-128/192/256) and GET
// METADATA (INS F7, P2 = 9A/9B/9C/9D/9E/80/81; see pcsc/piv_metadata.h): algorithm, policies,
// origin (generated) and public key for keys, 6A88 for an empty slot; is-default and retries for
// the PIN and PUK; is-default for the management key (its bytes are still 0102..08 x3).
//
// Proprietary test instruction (CLA 80, INS FE): returns 32 fixed bytes only when Le is exactly 32,
// otherwise 6C20 — it lets tests exercise the host's 6Cxx handling against a real pcscd.
//
// Invariant: every change to PIN/PUK/counters/keys/objects is saved (atomically) before the
// answer leaves the card; a save failure answers 6581 (memory failure).
#ifndef KEYWARD_TOOLS_SOFTPIV_SOFT_PIV_CARD_H_
#define KEYWARD_TOOLS_SOFTPIV_SOFT_PIV_CARD_H_

#include <optional>
#include <string>

#include "pcsc/apdu.h"
#include "tools/softpiv/card_state.h"

namespace keyward::softpiv {

struct SoftPivOptions {
  std::string state_path;  // empty: in memory only (fuzzing, unit tests)
  // Test hook: a signing GENERAL AUTHENTICATE makes the card vanish (Process returns nullopt)
  // instead of answering, as if it were pulled from the reader mid-operation.
  bool remove_during_sign = false;
  // Test hook: the `remove_at_count`-th command APDU (1 = the first) whose INS byte is
  // `remove_at_ins` makes the card vanish instead of being processed.
  std::optional<uint8_t> remove_at_ins;
  // Test hook: behave like a plain SP 800-73-4 card without the vendor extensions (INS F7 and FF
  // answer 6D00), to exercise the callers' fallbacks.
  bool no_vendor_extensions = false;
  int remove_at_count = 1;
};

class SoftPivCard {
 public:
  // Loads the state file (creating a fresh card when it does not exist).
  static Result<SoftPivCard> Open(SoftPivOptions options);
  // A card on an in-memory state (nothing persisted).
  static SoftPivCard InMemory(CardState state);

  // 3B 8B 80 01 80 F9 A0 00 00 03 08 00 00 10 00 C8: T=1, historical bytes carry the PIV AID.
  static Bytes Atr();

  // Power cycle / warm reset: clears the security state (PIN verified, management key
  // authenticated), a pending chain and pending response bytes.
  void Reset();

  // One command APDU in, one response APDU out; nullopt when the card was "pulled" (test hook).
  std::optional<Bytes> Process(ByteSpan command);

  const CardState& state() const { return state_; }

 private:
  SoftPivCard(SoftPivOptions options, CardState state)
      : options_(std::move(options)), state_(std::move(state)) {}
  pcsc::ResponseApdu Dispatch(const pcsc::CommandApdu& c, bool* vanish);
  pcsc::ResponseApdu Respond(Bytes data, size_t le);
  pcsc::ResponseApdu Sw(uint16_t sw) { return {{}, pcsc::StatusWord(sw)}; }
  bool Save();

  pcsc::ResponseApdu Select(const pcsc::CommandApdu& c);
  pcsc::ResponseApdu GetData(const pcsc::CommandApdu& c);
  pcsc::ResponseApdu Verify(const pcsc::CommandApdu& c);
  pcsc::ResponseApdu ChangeReference(const pcsc::CommandApdu& c);
  pcsc::ResponseApdu ResetRetryCounter(const pcsc::CommandApdu& c);
  pcsc::ResponseApdu GeneralAuthenticate(const pcsc::CommandApdu& c, bool* vanish);
  pcsc::ResponseApdu Generate(const pcsc::CommandApdu& c);
  pcsc::ResponseApdu PutData(const pcsc::CommandApdu& c);
  pcsc::ResponseApdu SetManagementKey(const pcsc::CommandApdu& c);
  pcsc::ResponseApdu GetMetadata(const pcsc::CommandApdu& c);

  SoftPivOptions options_;
  CardState state_;
  bool pin_verified_ = false;
  bool pin_just_verified_ = false;  // for 9C (PIN always)
  bool mgmt_authenticated_ = false;
  Bytes mgmt_witness_;    // plain witness of a mutual authentication in progress
  Bytes mgmt_challenge_;  // challenge of an external authentication in progress
  // Command chaining in progress.
  bool chaining_ = false;
  uint8_t chain_ins_ = 0, chain_p1_ = 0, chain_p2_ = 0;
  Bytes chain_data_;
  // Response bytes not yet fetched with GET RESPONSE.
  Bytes pending_;
  int remove_at_seen_ = 0;  // commands with INS remove_at_ins seen so far
};

}  // namespace keyward::softpiv

#endif  // KEYWARD_TOOLS_SOFTPIV_SOFT_PIV_CARD_H_
