// Fuzz target: the batch users CSV parser (enroll/users_csv.h) and, for every row it accepts, the
// workforce certificate profile built from it (enroll/profile.h: SAN, SID extension, subject).
// Parsing must never crash, hang or leak; an accepted row must always yield a profile whose SID
// extension decodes back to the same SID.
#include "enroll/users_csv.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "enroll/profile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto users = keyward::enroll::ParseUsersCsv(text);
  if (!users) return 0;
  size_t n = 0;
  for (const auto& u : *users) {
    if (++n > 8) break;
    auto p = keyward::enroll::WorkforceProfile::Create(u, "O=Fuzz,C=DE");
    if (!p) std::abort();  // the parser accepted a row the profile refuses
    for (const auto& e : p->extensions) {
      if (e.oid == keyward::enroll::kSidExtensionOid) {
        auto sid = keyward::enroll::DecodeSidExtension(e.value);
        if (!sid || *sid != u.sid) std::abort();
      }
    }
  }
  return 0;
}
