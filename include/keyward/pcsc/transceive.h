// The APDU exchange rules of ISO/IEC 7816-4:2020 on top of a raw transport:
//  - §5.4.1 command chaining: data longer than one short APDU is sent as a chain (CLA | 0x10 on all
//    but the last); every intermediate answer must be 9000.
//  - §5.3.4 / §7.6.1 GET RESPONSE: on 61xx the remaining bytes are fetched with `00 C0 00 00 xx`
//    and concatenated, until a final status word.
//  - 6Cxx: the command is sent again once with Le = xx.
// Bounds: at most 1 MiB of response data and 4096 GET RESPONSE rounds (a looping card gives
// kApduMalformed, not a hang).
#ifndef KEYWARD_PCSC_TRANSCEIVE_H_
#define KEYWARD_PCSC_TRANSCEIVE_H_

#include "keyward/export.h"
#include "keyward/pcsc/apdu.h"

KEYWARD_API_BEGIN

namespace keyward::pcsc {

// A raw APDU transport: sends wire bytes, returns the wire response (data || SW1 SW2).
class ApduChannel {
 public:
  virtual ~ApduChannel() = default;
  virtual Result<Bytes> TransmitRaw(ByteSpan command) = 0;
};

struct TransceiveOptions {
  // kExtended sends long data in one extended APDU instead of a chain.
  LengthForm form = LengthForm::kShort;
};

// Sends `command` (chained / extended as needed), follows 61xx and 6Cxx, and returns the complete
// response with its final status word. A non-9000 final status is NOT an error here: callers
// decide (CheckStatus). Transport errors and malformed responses are.
Result<ResponseApdu> Transceive(ApduChannel& channel, const CommandApdu& command,
                                TransceiveOptions options = {});

}  // namespace keyward::pcsc

KEYWARD_API_END

#endif  // KEYWARD_PCSC_TRANSCEIVE_H_
