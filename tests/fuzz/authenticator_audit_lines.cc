// Fuzz target: audit-log chain verification of exported JSON lines (VerifyAuditLines), the input
// of `keyward audit verify --file`.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "keyward/authenticator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> lines;
  std::string cur;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == '\n') {
      lines.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(static_cast<char>(data[i]));
    }
  }
  if (!cur.empty()) lines.push_back(std::move(cur));
  (void)keyward::authenticator::VerifyAuditLines(lines);
  return 0;
}
