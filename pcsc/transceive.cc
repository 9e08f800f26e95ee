#include "pcsc/transceive.h"

namespace keyward::pcsc {
namespace {
constexpr size_t kMaxResponse = 1 << 20;
constexpr int kMaxGetResponse = 4096;

Result<ResponseApdu> SendOne(ApduChannel& channel, const CommandApdu& c, LengthForm form) {
  KW_ASSIGN_OR_RETURN(Bytes wire, c.Encode(form));
  KW_ASSIGN_OR_RETURN(Bytes raw, channel.TransmitRaw(wire));
  return ResponseApdu::Parse(raw);
}
}  // namespace

Result<ResponseApdu> Transceive(ApduChannel& channel, const CommandApdu& command,
                                TransceiveOptions options) {
  CommandApdu last = command;
  bool fits_short = command.data.size() <= kShortMaxData;
  if (options.form == LengthForm::kShort && !fits_short) {
    auto chain = command.Chain(kShortMaxData);
    for (size_t i = 0; i + 1 < chain.size(); ++i) {
      KW_ASSIGN_OR_RETURN(ResponseApdu r, SendOne(channel, chain[i], LengthForm::kShort));
      if (!r.sw.ok()) return r;  // the card refused the chain: its status is the answer
    }
    last = chain.back();
  }
  LengthForm form = options.form;
  if (form == LengthForm::kShort && last.le > kShortMaxLe) last.le = kShortMaxLe;
  KW_ASSIGN_OR_RETURN(ResponseApdu r, SendOne(channel, last, form));
  if (r.sw.wrong_le()) {
    last.le = r.sw.sw2() == 0 ? 256 : r.sw.sw2();
    KW_ASSIGN_OR_RETURN(r, SendOne(channel, last, form));
  }
  Bytes data = std::move(r.data);
  int rounds = 0;
  while (r.sw.bytes_remaining()) {
    if (++rounds > kMaxGetResponse) return Fail(ErrorCode::kApduMalformed, "61xx loop");
    CommandApdu get{static_cast<uint8_t>(command.cla & 0x0f), 0xC0, 0, 0, {},
                    r.sw.sw2() == 0 ? size_t{256} : size_t{r.sw.sw2()}};
    KW_ASSIGN_OR_RETURN(r, SendOne(channel, get, LengthForm::kShort));
    if (r.sw.wrong_le()) {
      get.le = r.sw.sw2() == 0 ? 256 : r.sw.sw2();
      KW_ASSIGN_OR_RETURN(r, SendOne(channel, get, LengthForm::kShort));
    }
    data.insert(data.end(), r.data.begin(), r.data.end());
    if (data.size() > kMaxResponse) return Fail(ErrorCode::kApduTooLong, "response > 1 MiB");
  }
  r.data = std::move(data);
  return r;
}

}  // namespace keyward::pcsc
