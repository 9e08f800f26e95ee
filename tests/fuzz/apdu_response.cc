// Fuzzes the APDU layer: ResponseApdu::Parse, CommandApdu::Parse/Encode round trip, and
// Transceive's 61xx / 6Cxx / chaining handling against a card whose answers come from the input
// (first byte: how many bytes of each answer; the rest: the answers).
#include <cstddef>
#include <cstdint>

#include "pcsc/apdu.h"
#include "pcsc/transceive.h"

namespace {

class FuzzChannel : public keyward::pcsc::ApduChannel {
 public:
  FuzzChannel(const uint8_t* data, size_t size, size_t chunk)
      : data_(data), size_(size), chunk_(chunk) {}
  keyward::Result<keyward::Bytes> TransmitRaw(keyward::ByteSpan) override {
    if (pos_ >= size_) return keyward::Fail(keyward::ErrorCode::kPcscCardRemoved);
    size_t n = std::min(chunk_, size_ - pos_);
    keyward::Bytes out(data_ + pos_, data_ + pos_ + n);
    pos_ += n;
    return out;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t chunk_;
  size_t pos_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace keyward::pcsc;
  keyward::ByteSpan in(data, size);
  if (auto r = ResponseApdu::Parse(in)) (void)r->Encode();
  bool extended = false;
  if (auto c = CommandApdu::Parse(in, &extended)) {
    auto wire = c->Encode(extended ? LengthForm::kExtended : LengthForm::kShort);
    if (wire) {
      auto again = CommandApdu::Parse(*wire);
      if (!again || again->data != c->data || again->le != c->le) __builtin_trap();
    }
    (void)c->Chain(200);
  }
  if (size >= 1) {
    size_t chunk = 2 + (data[0] % 64);
    FuzzChannel ch(data + 1, size - 1, chunk);
    CommandApdu cmd{0x00, 0xCB, 0x3F, 0xFF, keyward::Bytes(size % 600, 0x5C), 8};
    (void)Transceive(ch, cmd);
  }
  return 0;
}
