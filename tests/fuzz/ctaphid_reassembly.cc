// Fuzz target: CTAPHID reassembly (tools/softctap/ctaphid.h). The input is a stream of 64-byte
// reports; every complete message must survive FragmentHidMessage + reassembly unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "tools/softctap/ctaphid.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace keyward::softctap;
  CtapHidReassembler r;
  for (size_t off = 0; off < size; off += kHidReportSize) {
    size_t n = size - off < kHidReportSize ? size - off : kHidReportSize;
    HidFeedResult res = r.Feed(keyward::ByteSpan(data + off, n));
    if (res.kind != HidFeedResult::Kind::kMessage) continue;
    if (res.message.payload.size() > kHidMaxMessage) std::abort();
    CtapHidReassembler again;
    HidFeedResult back;
    for (const HidReport& report :
         FragmentHidMessage(res.message.cid, res.message.cmd, res.message.payload)) {
      back = again.Feed(report);
    }
    if (back.kind != HidFeedResult::Kind::kMessage || back.message.payload != res.message.payload ||
        back.message.cid != res.message.cid || back.message.cmd != res.message.cmd) {
      std::abort();
    }
  }
  return 0;
}
